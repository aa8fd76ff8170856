import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { Pool } from "undici";
import WebSocket from "ws";
import { it } from "vitest";
import { baseURL } from "../e2e/support/browser";

async function hammer(url: string, headers: Record<string, string>, seconds: number) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 16 });
  const end = Date.now() + seconds * 1000;
  let n = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (Date.now() < end) { const { body } = await pool.request({ path: target.pathname + target.search, method: "GET", headers }); await body.dump(); n++; }
  }));
  await pool.close();
  return n / seconds;
}

it("profiles", async () => {
  const app = baseURL();
  const port = new URL(app).port;
  const ps = execSync("ps aux").toString().split("\n").find((l) => l.includes(`--port ${port}`) && l.includes("inspector-port"))!;
  const inspector = ps.match(/--inspector-port (\d+)/)![1];
  const list = await (await fetch(`http://127.0.0.1:${inspector}/json`)).json();
  for (const [name, path] of [["home", "/"]] as const) {
    console.log(name, "unprofiled", (await hammer(`${app}${path}`, {}, 3)).toFixed(0), "req/s");
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    await new Promise((r) => ws.on("open", r));
    let id = 0;
    const pending = new Map<number, (v: any) => void>();
    ws.on("message", (m) => { const d = JSON.parse(String(m)); if (d.id && pending.has(d.id)) pending.get(d.id)!(d.result); });
    const send = (method: string, params = {}) => new Promise<any>((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 100 });
    await send("Profiler.start");
    const rps = await hammer(`${app}${path}`, {}, 4);
    const { profile } = await send("Profiler.stop");
    writeFileSync(`/tmp/prof-${name}.cpuprofile`, JSON.stringify(profile));
    console.log(name, rps.toFixed(0), "req/s");
    ws.close();
  }
});
