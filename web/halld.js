// Minimal archive browser with each hall's live figures (/api/v1/live, every 2 s) until the dashboards arrive.
const statusNames = { open: "营业", suspended: "暂停", closed: "关闭" };
const commNames = { up: "正常", down: "中断", unknown: "—" };
let live = new Map();  // hall code → its line of /api/v1/live

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function loadHalls() {
  const params = new URLSearchParams({ limit: "1000" });
  const city = document.getElementById("city").value;
  const q = document.getElementById("q").value.trim();
  if (city) params.set("city", city);
  if (q) params.set("q", q);
  const list = await getJson(`/api/v1/halls?${params}`);
  const body = document.getElementById("halls");
  body.replaceChildren(...list.items.map((h) => {
    const tr = document.createElement("tr");
    tr.dataset.hall = h.code;
    tr.append(cell(h.code), cell(h.name), cell(h.city.name), cell(h.county), cell(h.level),
              cell(h.windows), cell(h.terminals), cell(statusNames[h.status] ?? h.status));
    for (let i = 0; i < 7; ++i) tr.append(cell(""));
    return tr;
  }));
  document.getElementById("summary").textContent = `共 ${list.total} 个营业厅`;
  showLive();
}

const minutes = (m) => (m === null || m === undefined ? "—" : `${m.toFixed(1)} 分`);
const percent = (r) => (r === null || r === undefined ? "—" : `${(100 * r).toFixed(0)}%`);

function showLive() {
  for (const tr of document.getElementById("halls").children) {
    const h = live.get(tr.dataset.hall);
    if (!h) continue;
    const values = [h.waiting, minutes(h.longest_wait_min), minutes(h.predicted_wait_min), h.arrivals_today,
                    minutes(h.average_wait_min_today), percent(h.satisfaction_rate_today), commNames[h.comm] ?? h.comm];
    values.forEach((v, i) => { tr.children[8 + i].textContent = String(v); });
  }
}

async function refreshLive() {
  try {
    const overview = await getJson("/api/v1/live");
    live = new Map(overview.halls.map((h) => [h.hall, h]));
    showLive();
  } catch (e) {
    document.getElementById("summary").textContent = `实时数据加载失败：${e.message}`;
  }
  setTimeout(refreshLive, 2000);
}

async function start() {
  const cities = await getJson("/api/v1/cities");
  const select = document.getElementById("city");
  for (const c of cities.items) select.append(new Option(`${c.name}（${c.halls}）`, c.code));
  select.addEventListener("change", loadHalls);
  document.getElementById("q").addEventListener("input", loadHalls);
  await loadHalls();
  refreshLive();
}

start().catch((e) => { document.getElementById("summary").textContent = `加载失败：${e.message}`; });
