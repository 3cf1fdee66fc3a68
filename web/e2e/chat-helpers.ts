// Steps the chat specs share: REST sign-in, friendship, a generated PNG, and reading what a
// conversation view shows.
import { deflateSync } from 'node:zlib';
import { expect, type Browser, type Page } from '@playwright/test';
import { registerUser, signIn, uniqueName } from './helpers';

/** Logs in over REST (its own device) and returns the access token. */
export async function restLogin(baseUrl: string, username: string, password = 'password-123'): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, device_id: `rest-${username}`, platform: 'other' }),
  });
  if (!response.ok) throw new Error(`login ${username}: ${response.status} ${await response.text()}`);
  return (await response.json()).access_token;
}

/** A JSON call with a bearer token; throws on a failure status. */
export async function restCall<T>(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

/** A new account signed in through the page in a browser context of its own. */
export interface ChatPerson {
  name: string;
  display: string;
  id: string;
  token: string;
  page: Page;
}

/**
 * Registers `{prefix}…` (display name `{prefix} display`), logs it in over REST too (for setup
 * calls), and signs it in through the page; any Content-Security-Policy violation fails the test.
 */
export async function signedInPerson(
  browser: Browser,
  baseUrl: string,
  prefix: string,
  viewport = { width: 1100, height: 800 },
): Promise<ChatPerson> {
  const name = uniqueName(prefix);
  const display = `${prefix} display`;
  const id = await registerUser(baseUrl, name, 'password-123', display);
  const token = await restLogin(baseUrl, name);
  const page = await (await browser.newContext({ viewport })).newPage();
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) throw new Error('CSP violation: ' + msg.text());
  });
  await signIn(page, baseUrl, name);
  return { name, display, id, token, page };
}

/** Makes two users friends (a request from `a`, accepted by `b`). */
export async function befriend(baseUrl: string, a: { token: string }, b: { token: string; id: string }) {
  const sent = await restCall<{ request: { request_id: string }; friends: boolean }>(baseUrl, a.token, 'POST', '/api/v1/friends/requests', {
    user_id: b.id,
  });
  if (!sent.friends) await restCall(baseUrl, b.token, 'POST', `/api/v1/friends/requests/${sent.request.request_id}/accept`);
}

/** The direct conversation id of two users. */
export function directConv(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A small RGB PNG (a diagonal gradient) made here, so the test needs no fixture file. */
export function makePng(width = 48, height = 32): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (x * 5) & 0xff;
      row[2 + x * 3] = (y * 7) & 0xff;
      row[3 + x * 3] = 180;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The texts of the text messages the open conversation shows, in order. */
export async function shownTexts(page: Page): Promise<string[]> {
  return page.locator('[data-testid="msg"] .text').allInnerTexts();
}

/** Sends `text` through the composer. */
export async function typeAndSend(page: Page, text: string) {
  const composer = page.getByLabel(/^Message$/);
  await composer.fill(text);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
}
