// The browser's side of halld's API: the session (cookie + CSRF token), JSON requests with
// the one error shape, WebSocket streams that reconnect, and times shown in the hall's zone.
'use strict';
const api = (() => {
  let csrf = '';
  let onSignedOut = () => {};

  // `message` is for people, in the UI's language (errorText); `serverMessage` as halld said it.
  class ApiError extends Error {
    constructor(status, code, serverMessage, details) {
      super(errorText(code, serverMessage));
      this.status = status; this.code = code; this.serverMessage = serverMessage; this.details = details;
    }
  }

  // `jsonText` is sent as it is (an archive file); else `body`, if any, is serialised.
  async function request(method, path, body, jsonText) {
    const headers = {};
    if (body !== undefined || jsonText !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
    const response = await fetch(path, {
      method, headers, credentials: 'same-origin',
      body: jsonText !== undefined ? jsonText : body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = text; }
    if (!response.ok) {
      const error = (data && data.error) || { code: 'http_' + response.status, message: response.statusText };
      if (response.status === 401 && path !== '/api/v1/session') onSignedOut();
      throw new ApiError(response.status, error.code, error.message, error.details);
    }
    return data;
  }

  // A WebSocket that comes back after a cut (halld restarting, a laptop waking up); each
  // (re)connection begins with a snapshot, so nothing is missed.
  function stream(path, onMessage, onState) {
    let socket = null, closed = false, delay = 500;
    const open = () => {
      const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
      socket = new WebSocket(url);
      socket.onopen = () => { delay = 500; onState && onState(true); };
      socket.onmessage = (event) => onMessage(JSON.parse(event.data));
      socket.onclose = () => {
        onState && onState(false);
        if (!closed) setTimeout(open, delay = Math.min(delay * 2, 10000));
      };
    };
    open();
    return { close() { closed = true; if (socket) socket.close(); } };
  }

  // "2026-11-22T03:18:35Z" shown as the hall's wall-clock time (offset in minutes, +480 for China).
  function localTime(iso, offsetMin = 480, withDate = false) {
    if (!iso) return '';
    const t = new Date(iso);
    if (isNaN(t)) return iso;
    const local = new Date(t.getTime() + offsetMin * 60000).toISOString();
    return withDate ? local.slice(0, 10) + ' ' + local.slice(11, 19) : local.slice(11, 19);
  }
  function today(offsetMin = 480) {
    return new Date(Date.now() + offsetMin * 60000).toISOString().slice(0, 10);
  }
  function query(params) {
    const q = Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined)
      .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
    return q ? '?' + q : '';
  }

  return {
    ApiError, request, stream, localTime, today, query,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body === undefined ? {} : body),
    postText: (path, jsonText) => request('POST', path, undefined, jsonText),
    put: (path, body) => request('PUT', path, body),
    del: (path) => request('DELETE', path),
    setCsrf(token) { csrf = token || ''; },
    onSignedOut(fn) { onSignedOut = fn; },
  };
})();
