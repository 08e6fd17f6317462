// Browser tests: halld (the real binary) and a simulated hall, driven through Debian's Chromium
// by playwright-core. Signs in, watches a hall's queue change live as the simulator issues
// tickets, acknowledges an alarm and sees its state change, exports a report (CSV and Excel)
// and opens the files, switches the language. A screenshot of each page goes to $HALLD_ARTIFACTS/browser.
// Needs HALLD_TEST_PG (a PostgreSQL it may create databases in), HALLD_BINARY, HALL_SIM_BINARY.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, appendFileSync, readFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const source = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// playwright-core is the web UI's development dependency (web/package-lock.json).
const { chromium } = createRequire(join(source, 'web', 'package.json'))('playwright-core');
const halldBinary = process.env.HALLD_BINARY;
const simBinary = process.env.HALL_SIM_BINARY;
const modbusSimBinary = process.env.MODBUS_SIM_BINARY;
const artifacts = join(process.env.HALLD_ARTIFACTS || join(tmpdir(), 'halld-artifacts'), 'browser');
mkdirSync(artifacts, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'halld-browser-'));
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(binary, args, name) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (d) => (child.output += d));
  child.stderr.on('data', (d) => (child.output += d));
  child.name = name;
  children.push(child);
  return child;
}
async function until(what, check, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}
function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

const database = 'halld_browser_' + process.pid;
const pg = process.env.HALLD_TEST_PG;
execFileSync('psql', ['-X', '-q', '-c', `CREATE DATABASE ${database}`, `${pg} dbname=postgres`]);
const config = join(dir, 'halld.toml');
writeFileSync(config, `[http]
port = 0
web_root = "${join(source, 'web')}"
[database]
conninfo = "${pg} dbname=${database}"
[acquisition]
batch_delay_ms = 20
[kpi]
flush_interval_s = 1
[log]
level = "info"
file = "${join(dir, 'halld.log')}"
`);

let browser;
let page;  // kept for a screenshot of the page as a failure left it
const problems = [];  // the page's errors, told when the test fails
try {
  // One of three windows staffed and a customer every two seconds: the queue grows, an alarm
  // comes, and the crowding plan can open the other two.
  const sim = start(simBinary, ['--listen', '127.0.0.1:0', '--site', '4101001', '--source', '3', '--port-file', join(dir, 'sim.port'),
    '--events', '0', '--speed', '1', '--hours', '24h', '--windows', '3', '--staffed', '1', '--arrivals-per-hour', '1800'], 'hall_sim');
  await until('the simulator', () => existsSync(join(dir, 'sim.port')) && readFileSync(join(dir, 'sim.port'), 'utf8').trim());
  // Hall 4103001 sends yesterday's business at once, and beside it runs the marketing system,
  // whose applications are made from that hall's served tickets.
  const yesterday = new Date(Date.now() - 30 * 3600 * 1000).toISOString().slice(0, 19) + 'Z';
  start(simBinary, ['--listen', '127.0.0.1:0', '--site', '4103001', '--source', '4', '--port-file', join(dir, 'sim2.port'),
    '--events', '3000', '--rate', '300', '--start', yesterday, '--hours', '24h', '--windows', '4', '--arrivals-per-hour', '40',
    '--marketing-listen', '127.0.0.1:0', '--marketing-port-file', join(dir, 'marketing.port'), '--marketing-city', '4103'], 'hall_sim 4103001');
  await until('the marketing system', () => existsSync(join(dir, 'marketing.port')) && existsSync(join(dir, 'sim2.port')));
  appendFileSync(config, `[marketing]
url = "http://127.0.0.1:${readFileSync(join(dir, 'marketing.port'), 'utf8').trim()}/marketing/services"
interval_ms = 500
archive_interval_s = 5
link_settle_s = 5
link_give_up_s = 600
`);
  const archives = JSON.parse(readFileSync(join(source, 'tests/data/archives_small.json'), 'utf8'));
  Object.assign(archives.channels[0], { host: '127.0.0.1', port: Number(readFileSync(join(dir, 'sim.port'), 'utf8')) });
  archives.channels.push({ code: 'qs-4103001', hall: '4103001', protocol: 'queue_eval', link: 'tcp_client', host: '127.0.0.1',
    port: Number(readFileSync(join(dir, 'sim2.port'), 'utf8')) });
  writeFileSync(join(dir, 'archives.json'), JSON.stringify(archives));
  execFileSync(halldBinary, ['import', '--config', config, join(dir, 'archives.json')]);
  const firstAdmin = execFileSync(halldBinary, ['first-admin', '--config', config]).toString();
  const password = firstAdmin.match(/: (\S+)\s*$/)[1];
  const token = execFileSync(halldBinary, ['token', '--config', config, '--name', 'setup', '--role', 'province_admin', '--scope', 'province'])
    .toString().match(/hld_[0-9a-f]{64}/)[0];

  const halld = start(halldBinary, ['--config', config], 'halld');
  const port = await until('halld to listen', () => (halld.output.match(/HTTP listening on 127\.0\.0\.1:(\d+)/) || [])[1]);
  const base = `http://127.0.0.1:${port}`;
  const setup = (method, path, body) => fetch(base + path, { method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    .then(async (r) => { const text = await r.text(); assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`); return JSON.parse(text); });
  const queueRule = await setup('POST', '/api/v1/alarm-rules', { name: '浏览器测试：排队', kind: 'limit', indicator: 'queue_length', warning: 2, critical: 1000,
    clear: 0, hold_s: 0, clear_hold_s: 3600, hall: '4101001', schedule: 'always' });
  // The crowding plan follows the test's queue rule (a new version of it).
  const crowding = (await setup('GET', '/api/v1/emergency-plans')).items.find((p) => p.event_type === 'crowding');
  await setup('PUT', `/api/v1/emergency-plans/${crowding.id}`, { ...crowding, trigger_rules: [queueRule.id] });

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
  page = await context.newPage();
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/401|Failed to load resource/.test(m.text()) && problems.push(m.text()));
  page.on('response', (r) => r.status() === 404 && problems.push('404 for ' + r.url()));  // a page asks only for what exists

  // Sign in (a wrong password first).
  await page.goto(base + '/');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'not the password');
  await page.click('[data-testid=sign-in]');
  await page.waitForSelector('[data-testid=login-error]');
  await page.screenshot({ path: join(artifacts, '01-login.png') });
  await page.fill('input[name=password]', password);
  await page.click('[data-testid=sign-in]');
  await page.waitForSelector('[data-testid=tiles] .tile[data-hall="4101001"]');
  assert.equal(await page.textContent('[data-testid=nav-alarms]'), '告警窗口');
  // Who is signed in, in words: role and scope by name, not as codes.
  assert.equal((await page.textContent('[data-testid=who]')).trim(), 'admin · 省级管理员 · 全省');
  const icon = new URL(await page.getAttribute('link[rel=icon]', 'href'), base + '/').href;
  assert.equal((await page.request.get(icon)).status(), 200, 'the page icon is served');
  // The overview's tile changes live too; the stream's entries carry only what changed, so the
  // tile must keep what they leave out (its name).
  const tile = '.tile[data-hall="4101001"]';
  const tileName = await page.textContent(tile + ' .tile-name');
  const tileFigures = await page.textContent(tile + ' .tile-figures');
  await until('the tile to change live', async () => (await page.textContent(tile + ' .tile-figures')) !== tileFigures, 60000);
  assert.ok(tileName.trim(), 'the tile has a name');
  assert.equal(await page.textContent(tile + ' .tile-name'), tileName, 'an entry of changes keeps the name');
  // Nothing unknown is painted healthy: a green tile is a hall whose link is up; a hall with no
  // data source is grey and says so. The trend has its hours on the x axis.
  for (const t of await page.$$eval('.tile', (tiles) => tiles.map((el) => ({ cls: el.className, text: el.innerText })))) {
    if (t.cls.includes('green')) assert.match(t.text, /通信 正常/, 'green only with data: ' + t.text);
    if (/未接入数据源/.test(t.text)) assert.ok(t.cls.includes('grey'), 'no data source is grey: ' + t.text);
  }
  const trendHours = await page.evaluate(() => echarts.getInstanceByDom(document.querySelector('[data-testid=trend]')).getOption().xAxis[0].data);
  assert.ok(trendHours.length > 0 && trendHours.every((h) => /^\d\d:\d\d$/.test(h)), 'trend hours: ' + JSON.stringify(trendHours));
  await page.screenshot({ path: join(artifacts, '02-overview.png') });

  // The hall's queue changes on the page, with no reload, as the simulator issues tickets.
  await page.click('.tile[data-hall="4101001"]');
  await page.waitForSelector('[data-testid=hall-waiting]');
  let navigations = 0;
  page.on('framenavigated', () => navigations++);
  const before = await page.textContent('[data-testid=hall-waiting]');
  await until('the queue to change live', async () => (await page.textContent('[data-testid=hall-waiting]')) !== before, 60000);
  assert.equal(navigations, 0, 'the hall page must update without a reload');
  await page.screenshot({ path: join(artifacts, '03-hall-live.png') });
  // The hall page in Chinese: its link's state, business and window states by name, no codes.
  assert.match(await page.textContent('[data-testid=hall-comm]'), /通信正常/);
  const hallText = await page.innerText('[data-testid=hall-live]');
  assert.doesNotMatch(hallText, /\b(open|closed|paused|in_service|idle|busy)\b|\b[a-z]+_[a-z_]+\b/, 'an internal code on the hall page');

  // A notice to the hall's screens from the hall page, by what it is for (no device address);
  // the simulated queue system shows it and the command's state turns to done.
  await page.click('[data-testid=command-kind]');
  await page.click('.el-select-dropdown__item:has-text("屏幕公告")');
  await page.fill('input[data-testid=command-text], [data-testid=command-text] input', '下午五点停止取号');
  await page.click('[data-testid=command-send]');
  await until('the hall to carry out the command', async () => /已执行/.test(await page.textContent('[data-testid=hall-commands]')), 30000);
  assert.match(sim.output, /screens show "下午五点停止取号"/);

  // The alarm window: the queue alarm arrives; acknowledge it with a note; its state changes.
  await page.click('[data-testid=nav-alarms]');
  const ack = await page.waitForSelector('[data-testid^=ack-]', { timeout: 60000 });
  const alarmId = (await ack.getAttribute('data-testid')).slice(4);
  await page.screenshot({ path: join(artifacts, '04-alarms.png') });
  // The alarm kinds to filter by, in Chinese.
  await page.click('[data-testid=alarm-kind] .el-select');
  await page.waitForSelector('.el-select-dropdown__item:visible:has-text("指标越限")');
  const kinds = await page.$$eval('.el-select-dropdown__item:visible', (items) => items.map((i) => i.textContent.trim()));
  assert.ok(kinds.includes('指标越限') && kinds.includes('通信中断'), 'alarm kinds: ' + JSON.stringify(kinds));
  assert.ok(kinds.every((k) => !/^[a-z_]+$/.test(k)), 'no alarm kind as a code: ' + JSON.stringify(kinds));
  await page.keyboard.press('Escape');
  await ack.click();
  await page.fill('.el-message-box input', '已增开窗口');
  await page.click('.el-message-box .el-button--primary');
  await until('the alarm to show acknowledged', async () =>
    (await page.textContent(`[data-testid=alarm-state-${alarmId}]`)) === '已确认');
  const record = await setup('GET', `/api/v1/alarms/${alarmId}`);
  assert.equal(record.state, 'acknowledged');
  assert.equal(record.acknowledged_by, 'user:admin');
  assert.equal(record.acknowledge_note, '已增开窗口');
  await page.screenshot({ path: join(artifacts, '05-alarm-acknowledged.png') });

  // The crowding plan, run from a phone on the hall floor: suggested by the alarm, started,
  // the windows opened by halld through the simulated queue system, a person's step confirmed,
  // closed with the result; the record shows the indicators before and after.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('[data-testid=nav-emergencies]');
  const startButton = await page.waitForSelector('[data-testid^=start-]', { timeout: 60000 });
  const emergencyId = (await startButton.getAttribute('data-testid')).slice(6);
  await page.screenshot({ path: join(artifacts, '06-emergency-suggested-phone.png'), fullPage: true });
  await startButton.click();
  await until('the windows to be opened by the queue system', async () =>
    /已完成/.test(await page.textContent(`[data-testid=step-${emergencyId}-1]`)), 30000);
  assert.match(await page.textContent(`[data-testid=step-${emergencyId}-1]`), /2、3 号窗口/);
  assert.match(sim.output, /window 2 opened/);
  await page.click(`[data-testid=done-${emergencyId}-3]`);
  await page.fill('.el-message-box input', '两名引导员到岗');
  await page.click('.el-message-box .el-button--primary');
  await until('the step to show done', async () => /两名引导员到岗/.test(await page.textContent(`[data-testid=step-${emergencyId}-3]`)));
  await page.screenshot({ path: join(artifacts, '07-emergency-checklist-phone.png'), fullPage: true });
  await page.click(`[data-testid=close-${emergencyId}]`);
  await page.fill('textarea[data-testid=close-result]', '增开两个窗口，排队缓解');
  await page.click('[data-testid=close-confirm]');
  await until('the emergency to leave the list', async () => !(await page.$(`[data-testid=emergency-${emergencyId}]`)));
  await page.click('.el-tabs__item:has-text("处置记录")');
  await until('the record to list it', async () => /增开两个窗口，排队缓解/.test(await page.textContent('[data-testid=emergency-record]')));
  await page.screenshot({ path: join(artifacts, '08-emergency-record-phone.png'), fullPage: true });
  await page.click('.el-tabs__item:has-text("预案")');
  await page.waitForSelector('[data-testid=dissatisfaction]');
  await page.screenshot({ path: join(artifacts, '09-plans-and-dissatisfaction-phone.png'), fullPage: true });
  // A new plan written as a form: an event type, a first step, a notice step added and chosen.
  await page.click('[data-testid=plan-new]');
  await page.fill('input[data-testid=plan-name]', '暴雨应急预案');
  await page.click('[data-testid=plan-event-type] .el-select');
  await page.click('.el-select-dropdown__item:visible:has-text("极端天气")');
  await page.fill('[data-testid=plan-step-1] textarea', '检查门口防滑垫和排水');
  await page.click('[data-testid=plan-add-step]');
  await page.click('[data-testid=plan-step-2] .el-select');
  await page.click('.el-select-dropdown__item:visible:has-text("发布公告")');
  await page.fill('[data-testid=plan-step-2] textarea', '暴雨天气，请注意地面湿滑');
  await page.click('[data-testid=plan-step-2] .el-checkbox');
  await page.screenshot({ path: join(artifacts, '10-plan-editor-phone.png'), fullPage: true });
  await page.click('[data-testid=plan-save]');
  await page.waitForSelector('input[data-testid=plan-name]', { state: 'hidden' });
  let written;
  await until('the plan to be saved', async () => {
    written = (await setup('GET', '/api/v1/emergency-plans')).items.find((p) => p.name === '暴雨应急预案');
    return !!written;
  });
  assert.equal(written.event_type, 'extreme_weather');
  assert.deepEqual(written.steps.map((step) => step.action), ['instruction', 'publish_notice']);
  assert.equal(written.steps[1].executes, true);
  assert.equal(written.steps[1].text, '暴雨天气，请注意地面湿滑');
  // Edited: a new version (its item opened, unless it is open already).
  const planHeader = page.locator('.el-collapse-item__header', { hasText: '暴雨应急预案' });
  await planHeader.waitFor();
  if (!(await page.isVisible(`[data-testid=plan-edit-${written.id}]`))) await planHeader.click();
  await page.click(`[data-testid=plan-edit-${written.id}]`);
  await page.fill('input[data-testid=plan-name]', '暴雨内涝应急预案');
  await page.click('[data-testid=plan-save]');
  await page.waitForSelector('input[data-testid=plan-name]', { state: 'hidden' });
  await until('the plan to be saved again', async () =>
    (await setup('GET', '/api/v1/emergency-plans')).items.some((p) => p.id === written.id && p.version === 2 && p.name === '暴雨内涝应急预案'));

  // A notice to the whole province from a phone: it reaches the simulated hall's screens, and
  // comes down when withdrawn.
  await page.click('[data-testid=nav-notices]');
  await page.fill('textarea[data-testid=notice-text]', '12月5日20:00至22:00系统升级，暂停线上缴费');
  await page.click('[data-testid=notice-publish]');
  await until('the hall to show the notice', async () => /screens show "12月5日20:00至22:00系统升级/.test(sim.output), 30000);
  const notice = (await setup('GET', '/api/v1/notices?state=current')).items[0];
  assert.equal(notice.level, 'province');
  await until('the card to count the hall as showing it', async () =>
    /正在显示 [1-9]/.test(await page.textContent(`[data-testid=notice-${notice.id}]`)));
  // A new notice opens with its deliveries.
  await until('the deliveries to list the hall', async () =>
    /已执行/.test(await page.textContent(`[data-testid=notice-${notice.id}] .el-table`)));
  await page.screenshot({ path: join(artifacts, '11-notices-phone.png'), fullPage: true });
  const shownUpTo = sim.output.length;
  await page.click(`[data-testid=notice-withdraw-${notice.id}]`);
  await page.fill('.el-message-box input', '升级改期');
  await page.click('.el-message-box .el-button--primary');
  await until('the screens to be cleared', async () => sim.output.indexOf('screens cleared', shownUpTo) >= 0, 30000);
  assert.equal((await setup('GET', `/api/v1/notices/${notice.id}`)).state, 'withdrawn');

  const closed = await setup('GET', `/api/v1/emergencies/${emergencyId}`);
  assert.equal(closed.state, 'closed');
  assert.equal(closed.closed_by, 'user:admin');
  assert.equal(closed.after.windows_open, 3, JSON.stringify(closed.after));
  assert.ok(closed.timeline.some((entry) => entry.kind === 'answer'), 'the hall answered the commands');
  await page.setViewportSize({ width: 1400, height: 900 });

  // A report exported as CSV, downloaded and opened.
  await page.click('[data-testid=nav-reports]');
  await page.waitForSelector('[data-testid=kpi-table]');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
  const file = join(artifacts, 'report.csv');
  await download.saveAs(file);
  const csv = readFileSync(file, 'utf8').split('\n');
  assert.match(csv[0], /period/);
  assert.match(csv[0], /arrivals/);
  assert.ok(csv.length >= 2, 'the report has rows');
  const [workbook] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-xlsx]')]);
  const xlsx = join(artifacts, 'report.xlsx');
  await workbook.saveAs(xlsx);
  const bytes = readFileSync(xlsx);
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an Excel workbook is a zip');
  assert.ok(bytes.includes(Buffer.from('xl/worksheets/sheet1.xml')), 'with a worksheet');
  await page.screenshot({ path: join(artifacts, '06-reports.png') });
  // The saturation ranking and the clerk assessment show the API's figures (their fields are
  // read by name: a renamed field would leave the columns empty).
  await page.click('.el-tabs__item:has-text("饱和度排名")');
  await page.waitForSelector('.el-tab-pane:not([style*="display: none"]) .el-table__body tr td:has-text("4101001"), .el-tab-pane:not([style*="display: none"]) .el-table__body tr td:has-text("%")');
  const saturation = await page.$$eval('.el-tab-pane:not([style*="display: none"]) .el-table__body tr:first-child td', (tds) => tds.map((td) => td.textContent.trim()));
  assert.equal(saturation[0], '1', 'ranked');
  assert.match(saturation[3], /%$/, 'with its utilisation');
  await page.click('.el-tabs__item:has-text("柜员考核")');
  await page.waitForSelector('.el-tab-pane:not([style*="display: none"]) .el-table__body tr td:has-text("4101001-0")');
  await page.screenshot({ path: join(artifacts, '06b-clerks.png') });

  // Administration: archives checked and imported from a file (a broken file lists its
  // problems, nothing applied), a rule changed in the editor, the audit log; then the language.
  await page.click('[data-testid=nav-admin]');
  await page.waitForSelector('[data-testid=archive-halls] td:has-text("4101001")');
  const newHall = { ...archives.halls[0], code: '4101009', name: '郑州市浏览器测试营业厅', windows: [], clerks: [], terminals: [], devices: [] };
  const brokenFile = join(dir, 'broken.json'), goodFile = join(dir, 'new-hall.json');
  writeFileSync(brokenFile, JSON.stringify({ format: 'halld-archives-v1', halls: [{ ...newHall, city: '9999', level: 'Z' }] }));
  writeFileSync(goodFile, JSON.stringify({ format: 'halld-archives-v1', halls: [newHall] }));
  await page.setInputFiles('[data-testid=archive-file]', brokenFile);
  await page.click('[data-testid=archive-check]');
  await page.waitForSelector('[data-testid=archive-problems] td:has-text("9999")');
  await page.screenshot({ path: join(artifacts, '07-admin-archive-problems.png') });
  await page.setInputFiles('[data-testid=archive-file]', goodFile);
  await page.click('[data-testid=archive-check]');
  await page.waitForSelector('[data-testid=archive-result]:has-text("校验通过")');
  assert.equal((await fetch(base + '/api/v1/halls/4101009', { headers: { Authorization: 'Bearer ' + token } })).status, 404, 'a check applies nothing');
  await page.click('[data-testid=archive-import]');
  await page.waitForSelector('[data-testid=archive-result]:has-text("已导入")');
  await page.waitForSelector('[data-testid=archive-halls] td:has-text("4101009")');
  assert.equal((await setup('GET', '/api/v1/halls/4101009')).name, newHall.name);
  await page.screenshot({ path: join(artifacts, '07-admin-archives.png') });

  await page.click('.el-tabs__item:has-text("告警规则")');
  await page.click('[data-testid=rules-table] tr:has-text("浏览器测试") [data-testid=config-edit]');
  const edited = JSON.parse(await page.inputValue('[data-testid=config-json]'));
  await page.fill('[data-testid=config-json]', JSON.stringify({ ...edited, warning: 'many' }));
  await page.click('[data-testid=config-save]');
  await page.waitForSelector('[data-testid=config-error]:has-text("数据不合法"):has-text("warning")');
  await page.fill('[data-testid=config-json]', JSON.stringify({ ...edited, warning: 3 }));
  await page.click('[data-testid=config-save]');
  await until('the rule to change', async () =>
    (await setup('GET', '/api/v1/alarm-rules')).items.some((r) => r.name === '浏览器测试：排队' && r.warning === 3));
  await page.waitForSelector('[data-testid=config-json]', { state: 'hidden' });
  await page.screenshot({ path: join(artifacts, '07-admin-rules.png') });

  // The marketing system's applications, made from the hall's served tickets and linked to them;
  // the archive's clerks that the marketing system does not list wait for approval, and one is
  // retired (nothing refers to it, so it is deleted).
  await page.click('[data-testid=nav-marketing]');
  await until('applications from the marketing system', async () => {
    await page.click('[data-testid=marketing-query]');
    await sleep(1000);
    const text = await page.textContent('[data-testid=marketing-linking]').catch(() => '');
    return /已关联 [1-9]/.test(text);
  }, 60000);
  assert.match(await page.textContent('[data-testid=marketing-summary]'), /柜台\s*[1-9]/);
  await page.screenshot({ path: join(artifacts, '06-marketing-summary.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(artifacts, '06-marketing-summary-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.click('#tab-applications');
  await page.click('#pane-applications .el-radio-button:has-text("已关联")');
  await page.waitForSelector('[data-testid=marketing-applications] .el-tag:has-text("A0")');
  await page.screenshot({ path: join(artifacts, '06-marketing-applications.png'), fullPage: true });
  await page.click('#tab-archive');
  const pending = await page.waitForSelector('[data-testid^=archive-change-]:has-text("ZZ0001")');
  await (await pending.$('[data-testid^=approve-]')).click();
  await page.click('.el-message-box__btns .el-button--primary');
  await page.waitForSelector('.el-message:has-text("已删除")');
  await page.screenshot({ path: join(artifacts, '06-marketing-archive.png'), fullPage: true });
  await page.click('#tab-feeds');
  await page.waitForSelector('[data-testid=marketing-connection]:has-text("通信正常")');
  await page.screenshot({ path: join(artifacts, '06-marketing-feeds.png'), fullPage: true });
  await page.click('[data-testid=nav-admin]');

  // A recomputation of yesterday's KPIs for one hall, followed to its end.
  await page.click('.el-tabs__item:has-text("KPI 重算")');
  await page.fill('[data-testid=recompute-hall]', '4101001');
  await page.click('[data-testid=recompute-start]');
  await page.waitForSelector('[data-testid=recompute-state][data-state=done]:has-text("完成")');
  await page.waitForSelector('[data-testid=recompute-progress][aria-valuenow="100"]');
  await page.screenshot({ path: join(artifacts, '07-admin-recompute.png') });

  // A vendor's queue system at hall 4101009: its protocol description and its channel are added
  // through the API while halld runs. The channels page shows it with the description's title
  // and its state, its test reaches the peer, and the registry lists the description.
  const vendor = start(simBinary, ['--listen', '127.0.0.1:0', '--site', '4101009', '--port-file', join(dir, 'vendor.port'),
    '--events', '0', '--speed', '1', '--hours', '24h', '--windows', '3', '--arrivals-per-hour', '600',
    '--protocol-file', join(source, 'config/protocols/vendor_text_queue.yaml')], 'hall_sim vendor');
  await until('the vendor simulator', () => existsSync(join(dir, 'vendor.port')) && readFileSync(join(dir, 'vendor.port'), 'utf8').trim());
  assert.equal(vendor.exitCode, null);
  await setup('PUT', '/api/v1/protocols/vendor_text_queue', { text: readFileSync(join(source, 'config/protocols/vendor_text_queue.yaml'), 'utf8') });
  const added = await setup('PUT', '/api/v1/channels/vq-4101009', { hall: '4101009', protocol: 'vendor_text_queue', link: 'tcp_client',
    host: '127.0.0.1', port: Number(readFileSync(join(dir, 'vendor.port'), 'utf8')) });
  assert.deepEqual(added.applied.started, ['vq-4101009']);
  await page.click('[data-testid=nav-channels]');
  const vendorRow = '[data-testid=channels-table] tr:has-text("vq-4101009")';
  await page.waitForSelector(`${vendorRow} [data-testid=channel-state][data-state=up]:has-text("正常")`);
  assert.match(await page.textContent(`${vendorRow} [data-testid=channel-protocol]`), /某厂商排队系统文本协议（vendor_text_queue v1）/);
  assert.match(await page.textContent('[data-testid=channels-table] tr:has-text("qs-4101001") [data-testid=channel-protocol]'), /halld 排队评价协议/);
  await page.click(`${vendorRow} [data-testid=channel-test]`);
  await page.waitForSelector('[data-testid=probe][data-reached=true]:has-text("可连通")');
  await page.evaluate(() => ElementPlus.ElMessage.closeAll());  // an earlier step's notice
  await sleep(500);  // the dialog's opening animation
  await page.screenshot({ path: join(artifacts, '10-channel-test.png') });
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=channel-test-result]', { state: 'hidden' });
  await page.screenshot({ path: join(artifacts, '10-channels.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForSelector(`.channel-card:has-text("vq-4101009") [data-testid=channel-state][data-state=up]`);
  await page.screenshot({ path: join(artifacts, '10-channels-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.click('.el-tabs__item:has-text("协议描述")');
  await page.waitForSelector('[data-testid=protocols-table] tr:has-text("vendor_text_queue"):has-text("vq-4101009"):has-text("接口上传")');
  await page.screenshot({ path: join(artifacts, '10-protocols.png') });

  // Hall 4101001's facility devices over Modbus TCP (libmodbus, tools/modbus_sim), added through
  // the API: the hall page shows each device's state and values in Chinese with units, charts a
  // point, and sets the air conditioner through the command path.
  for (const model of ['facility_env_th', 'facility_power_meter', 'facility_split_ac', 'facility_people_counter']) {
    await setup('PUT', `/api/v1/protocols/${model}`, { text: readFileSync(join(source, `config/protocols/${model}.yaml`), 'utf8') });
  }
  start(modbusSimBinary, ['tcp', join(dir, 'modbus.port')], 'modbus_sim');
  await until('the Modbus simulator', () => existsSync(join(dir, 'modbus.port')) && readFileSync(join(dir, 'modbus.port'), 'utf8').trim());
  const facility = await setup('PUT', '/api/v1/channels/fm-4101001', { hall: '4101001', protocol: 'modbus', link: 'tcp_client',
    host: '127.0.0.1', port: Number(readFileSync(join(dir, 'modbus.port'), 'utf8')), devices: [
      { id: 'TH-01', kind: 'environment', name: '大厅温湿度', model: 'facility_env_th', unit: 1, poll_ms: 1000 },
      { id: 'EM-01', kind: 'meter', name: '总电能表', model: 'facility_power_meter', unit: 2, poll_ms: 1000 },
      { id: 'AC-01', kind: 'air_conditioner', name: '大厅空调', model: 'facility_split_ac', unit: 3, poll_ms: 1000 },
      { id: 'PC-01', kind: 'people_counter', name: '入口客流计数', model: 'facility_people_counter', unit: 5, poll_ms: 1000 }] });
  assert.deepEqual(facility.applied.started, ['fm-4101001']);
  await page.goto(base + '/#/hall/4101001');
  await page.waitForSelector('[data-testid=hall-facility]', { timeout: 30000 });
  await until('the facility values', async () => /°C$/.test((await page.textContent('[data-testid=facility-value-TH-01-temperature]')).trim()), 30000);
  assert.match(await page.textContent('[data-testid=facility-TH-01]'), /温湿度 · 温湿度传感器 · 站号 1/);
  assert.match(await page.textContent('[data-testid=facility-value-EM-01-power]'), /^\d+\.\d kW$/);
  assert.match(await page.textContent('[data-testid=facility-value-AC-01-running]'), /^开$/);
  assert.match(await page.textContent('[data-testid=facility-value-PC-01-people]'), /^\d+ 人$/);
  await page.fill('[data-testid=facility-AC-01] .el-input-number input', '22.5');
  await page.press('[data-testid=facility-AC-01] .el-input-number input', 'Tab');
  await page.click('[data-testid=facility-set-AC-01-set_point]');
  await until('the set point written and read back', async () =>
    (await page.textContent('[data-testid=facility-value-AC-01-set_point]')).trim() === '22.5 °C', 30000);
  await page.waitForSelector('[data-testid=hall-commands] tr:has-text("设施设定 AC-01"):has-text("设定温度 = 22.5°C")');
  await page.waitForSelector('[data-testid=hall-commands] tr:has-text("设施设定 AC-01") .el-tag:has-text("已执行")', { timeout: 15000 });
  await page.evaluate(() => ElementPlus.ElMessage.closeAll());
  await page.locator('[data-testid=hall-facility]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, '12-hall-facility.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await sleep(500);
  await page.locator('[data-testid=hall-facility]').screenshot({ path: join(artifacts, '12-hall-facility-phone.png') });
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.click('[data-testid=nav-admin]');

  await page.click('.el-tabs__item:has-text("审计日志")');
  await page.waitForSelector('[data-testid=audit-table] td:has-text("/acknowledge")');
  await page.waitForSelector('[data-testid=audit-table] td:has-text("/api/v1/channels/vq-4101009")');
  await page.waitForSelector('[data-testid=audit-table] td:has-text("/api/v1/recomputations")');
  await page.screenshot({ path: join(artifacts, '07-admin-audit.png') });
  await page.click('[data-testid=language]');
  await until('English', async () => (await page.textContent('[data-testid=nav-alarms]')) === 'Alarm window');
  await page.screenshot({ path: join(artifacts, '08-english.png') });
  await page.reload();
  await page.waitForSelector('[data-testid=nav-alarms]');
  assert.equal(await page.textContent('[data-testid=nav-alarms]'), 'Alarm window', 'the language is remembered');

  // Signing out ends the session: the API refuses the old cookie.
  await page.click('[data-testid=sign-out]');
  await page.waitForSelector('[data-testid=sign-in]');
  const after = await page.evaluate(() => fetch('/api/v1/halls').then((r) => r.status));
  assert.equal(after, 401);
  assert.deepEqual(problems, [], 'no errors in the page');

  // A guesser at the sign-in page, on a phone: after auth.max_failed_logins (5) failures the
  // name waits at this address, and the page says so in Chinese with the seconds to wait.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true });
  page = await phone.newPage();
  await page.goto(base + '/');
  await page.fill('input[name=username]', 'zhangsan');
  for (let attempt = 0; attempt < 7; ++attempt) {
    await page.fill('input[name=password]', 'guess ' + attempt);
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/session'));
    await page.click('[data-testid=sign-in]');
    await answered;
  }
  const throttled = (await page.textContent('[data-testid=login-error]')).trim();
  assert.match(throttled, /^此处登录失败次数过多，请 \d+ 秒后再试$/, 'the throttle is told in zh-CN: ' + throttled);
  await page.screenshot({ path: join(artifacts, '09-login-throttled-phone.png') });
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.screenshot({ path: join(artifacts, '09-login-throttled-desktop.png') });
  console.log('browser tests passed; screenshots in ' + artifacts);
} catch (e) {
  console.error(e);
  if (problems.length) console.error('page problems:', problems);
  if (page) await page.screenshot({ path: join(artifacts, 'failure.png') }).catch(() => {});
  for (const child of children) console.error(`--- ${child.name} ---\n${child.output.slice(-4000)}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  stopAll();
  await sleep(500);
  try { execFileSync('psql', ['-X', '-q', '-c', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `${pg} dbname=postgres`]); } catch { /* left for the cluster's removal */ }
  rmSync(dir, { recursive: true, force: true });  // the run's configuration and spool
}
