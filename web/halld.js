// Minimal archive browser over /api/v1 until the dashboards arrive.
const statusNames = { open: "营业", suspended: "暂停", closed: "关闭" };

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
    tr.append(cell(h.code), cell(h.name), cell(h.city.name), cell(h.county), cell(h.level),
              cell(h.windows), cell(h.terminals), cell(statusNames[h.status] ?? h.status));
    return tr;
  }));
  document.getElementById("summary").textContent = `共 ${list.total} 个营业厅`;
}

async function start() {
  const cities = await getJson("/api/v1/cities");
  const select = document.getElementById("city");
  for (const c of cities.items) select.append(new Option(`${c.name}（${c.halls}）`, c.code));
  select.addEventListener("change", loadHalls);
  document.getElementById("q").addEventListener("input", loadHalls);
  await loadHalls();
}

start().catch((e) => { document.getElementById("summary").textContent = `加载失败：${e.message}`; });
