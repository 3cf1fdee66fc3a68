// A real `tidings` server process for a test file: its own port, data directory and first
// admin; it can be stopped and started again on the same port and data (the restart test).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN = { username: 'root', password: 'root-password-1' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** One server process; `start` again after `stop` keeps the port and the data. */
export class TidingsServer {
  private child: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'tidings-web-'));
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    const bin = process.env.WEB_E2E_SERVER_BIN;
    if (!bin) throw new Error('WEB_E2E_SERVER_BIN names the tidings server binary');
    if (!this.port) this.port = await freePort();
    // The server refuses TIDINGS_* variables it does not know: pass only ours.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TIDINGS_')) env[k] = v;
    Object.assign(env, {
      TIDINGS_HTTP_ADDR: `127.0.0.1:${this.port}`,
      TIDINGS_DATA_DIR: join(this.dir, 'data'),
      TIDINGS_ADMIN__INITIAL_USERNAME: ADMIN.username,
      TIDINGS_ADMIN__INITIAL_PASSWORD: ADMIN.password,
      TIDINGS_LOG: 'warn',
      // Every test signs in from 127.0.0.1: the per-address door budgets are for the internet.
      TIDINGS_GATEWAY__AUTH_PER_SEC: '1000',
      TIDINGS_GATEWAY__AUTH_BURST: '1000',
      ...extraEnv,
    });
    // Working on the app: serve a local build instead of the copy inside the binary.
    if (process.env.WEB_E2E_WEB_DIR) env.TIDINGS_WEB_DIR = process.env.WEB_E2E_WEB_DIR;
    const log = openSync(join(this.dir, 'server.log'), 'a');
    this.child = spawn(bin, [], { env, stdio: ['ignore', log, log] });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`tidings exited with ${this.child.exitCode}; see ${this.dir}/server.log`);
      try {
        const response = await fetch(`${this.url}/readyz`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`tidings did not become ready; see ${this.dir}/server.log`);
  }

  /** SIGTERM and wait for the process to end (a graceful drain). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const ended = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await ended;
    clearTimeout(timer);
    this.child = null;
  }

  /** Stops the server and removes its data. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
