/**
 * moto.ts: starts moto_server (a real AWS STS implementation, preinstalled on this machine) on a free
 * loopback port, or says why it cannot.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startMoto(): Promise<{ url: string; child: ChildProcess } | string> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const spawned = await new Promise<string | undefined>((resolve) => {
    child.once('error', (e) =>
      resolve(`moto_server could not be started (${(e as NodeJS.ErrnoException).code ?? e.message})`),
    );
    child.once('spawn', () => resolve(undefined));
  });
  if (spawned) return spawned;
  const url = `http://127.0.0.1:${port}`;
  // moto needs a few seconds to import; poll its admin API until it answers.
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) return `moto_server exited with code ${child.exitCode}`;
    try {
      const res = await fetch(`${url}/moto-api/data.json`);
      if (res.ok) return { url, child };
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  return 'moto_server did not become ready';
}
