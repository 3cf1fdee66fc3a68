// The admin console against a real server: the admin creates an account through the form, that
// user signs in elsewhere, the admin disables them and their session ends (their socket closes
// with 1008 and their page returns to the sign-in page by itself, with the session-ended notice); the dashboard
// draws live charts from /metrics with a connection count of at least one while a socket is
// open; and the console is usable at a phone-sized viewport.
import { test, expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN, TidingsServer } from './server';
import { registerUser, signIn, uniqueName } from './helpers';

const server = new TidingsServer();
test.beforeAll(async () => server.start());
test.afterAll(async () => server.dispose());

const SCREENSHOT = fileURLToPath(new URL('../../docs/screenshots/admin-dashboard.png', import.meta.url));

/** Signs in over REST (a device of its own); the token pair's access token and user id. */
async function restLogin(username: string, password: string): Promise<{ token: string; userId: string }> {
  const response = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, device_id: uniqueName('dev'), platform: 'web' }),
  });
  expect(response.status).toBe(200);
  const body = await response.json();
  return { token: body.access_token, userId: body.user_id };
}

async function rest<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Collects Content-Security-Policy violations reported on the page's console. */
function cspViolations(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) found.push(msg.text());
  });
  return found;
}

/** Confirms the open dialog with the button named `name`. */
async function confirm(page: Page, name: string) {
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name }).click();
  await expect(dialog).toBeHidden();
}

test('admin creates a user, sees live figures, disables the user and the session ends', async ({ browser }) => {
  test.setTimeout(100_000);
  const screenshots = process.env.WEB_E2E_SCREENSHOTS === '1';
  const adminContext = await browser.newContext({ viewport: { width: 1280, height: screenshots ? 1040 : 900 }, colorScheme: 'light' });
  const admin = await adminContext.newPage();
  const violations = cspViolations(admin);
  await signIn(admin, server.url, ADMIN.username, ADMIN.password);
  await admin.getByTestId('nav-admin').click();
  const nav = admin.getByRole('navigation', { name: 'Admin sections' });
  await expect(nav).toBeVisible();
  await nav.getByRole('link', { name: 'Users' }).click();
  await expect(admin).toHaveURL(/#\/admin\/users$/);

  // Create the account through the form (confirmed in a dialog).
  const name = uniqueName('ann');
  const password = 'password-456';
  await admin.getByRole('button', { name: 'New user' }).click();
  const form = admin.getByRole('form', { name: 'New user' });
  await form.getByLabel('Username').fill(name);
  await form.getByLabel('Display name').fill(`Ann ${name}`);
  await form.getByLabel('Role').selectOption('user');
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create user' }).click();
  await confirm(admin, 'Create user');
  await expect(admin.getByRole('status')).toContainText(`Account ${name} created.`);
  const row = admin.getByTestId(`user-${name}`);
  await expect(row).toContainText('Active');

  // The same username again: the server's refusal is shown.
  await admin.getByRole('button', { name: 'New user' }).click();
  await form.getByLabel('Username').fill(name);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create user' }).click();
  await confirm(admin, 'Create user');
  await expect(admin.getByRole('alert')).toHaveText('That username is taken.');
  await form.getByRole('button', { name: 'Cancel' }).click();

  // The user signs in in a browser of their own and sees the shell; a socket of theirs is open.
  const userContext = await browser.newContext();
  const user = await userContext.newPage();
  await signIn(user, server.url, name, password);
  await expect(user.getByTestId('me')).toHaveText(`Ann ${name}`);
  const socketLogin = await restLogin(name, password);
  await user.evaluate((token) => {
    const w = window as unknown as { testSocket: WebSocket; testClose: number | null };
    w.testClose = null;
    w.testSocket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws?token=${token}`);
    w.testSocket.onclose = (e) => { w.testClose = e.code; };
  }, socketLogin.token);
  await user.waitForFunction(() => (window as unknown as { testSocket: WebSocket }).testSocket.readyState === WebSocket.OPEN);

  // Some traffic: the admin posts over REST into a group with the user, the user over the socket.
  const root = await restLogin(ADMIN.username, ADMIN.password);
  const group = await rest<{ group_id: string; conv: string }>(root.token, 'POST', '/admin/v1/groups', {
    owner: root.userId, name: 'Console check', members: [socketLogin.userId],
  });

  // The dashboard: tiles and charts of live figures.
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await expect(admin).toHaveURL(/#\/admin$/);
  await expect(admin.locator('.admin-chart canvas')).toHaveCount(4);
  const connections = admin.getByTestId('tile-connections-value');
  await expect(connections).not.toHaveText('—');
  await expect.poll(async () => Number(await connections.textContent()), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
  await expect(admin.getByTestId('chart-connections')).toContainText(/now \d+, highest \d+\./);

  // Under the per-user send budget (3 a second); longer when a screenshot is wanted, so the
  // charts have a curve to show.
  const rounds = screenshots ? 70 : 16;
  for (let i = 0; i < rounds; i++) {
    await rest(root.token, 'POST', `/api/v1/conversations/${encodeURIComponent(group.conv)}/messages`, {
      client_msg_id: `rest-${i}`, kind: 'text', body: { text: `hello ${i}` },
    });
    await user.evaluate(([conv, n]) => {
      const w = window as unknown as { testSocket: WebSocket };
      w.testSocket.send(JSON.stringify({ type: 'send', id: `s${n}`, conv, client_msg_id: `ws-${n}`, kind: 'text', body: { text: `hi ${n}` } }));
    }, [group.conv, String(i)] as const);
    await admin.waitForTimeout(400 + (i % 12) * 40);
  }
  // Messages were counted: the rate showed up in the chart, and the p99 tile has a figure.
  await expect(admin.getByTestId('chart-messages')).toContainText(/highest [1-9]/);
  await expect(admin.getByTestId('tile-p99-value')).toHaveText(/ms$/);
  await expect(admin.getByTestId('tile-users-value')).toHaveText(/^[2-9]\d*$/);
  if (screenshots) {
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await admin.screenshot({ path: SCREENSHOT, fullPage: true });
  }

  // Disable the user: confirmed, then shown as disabled.
  await nav.getByRole('link', { name: 'Users' }).click();
  await row.getByRole('button', { name: `Disable ${name}` }).click();
  await confirm(admin, 'Disable');
  await expect(row).toContainText('Disabled');
  await expect(row.getByRole('button', { name: `Enable ${name}` })).toBeVisible();

  // Their sockets are closed with 1008, and the app, told so by its own socket, ends the session
  // by itself: the page returns to the sign-in page with the notice, no action needed.
  await user.waitForFunction(() => (window as unknown as { testClose: number | null }).testClose !== null);
  expect(await user.evaluate(() => (window as unknown as { testClose: number }).testClose)).toBe(1008);
  await expect(user.getByRole('heading', { level: 2 })).toHaveText('Sign in');
  await expect(user.getByRole('status')).toHaveText('Your session ended. Please sign in again.');
  await expect(user.getByTestId('me')).toHaveCount(0);
  // And they cannot sign in again.
  await user.getByLabel('Username').fill(name);
  await user.getByLabel('Password').fill(password);
  await user.locator('form button[type=submit]').click();
  await expect(user.getByRole('alert')).toHaveText('This account has been disabled by an administrator.');

  expect(violations).toEqual([]);
  await userContext.close();
  await adminContext.close();
});

test('the console works at a phone-sized viewport', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Signed in wide (the shell hides the name tile `signIn` waits for on a phone), then narrowed.
  await signIn(page, server.url, ADMIN.username, ADMIN.password);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(server.url + '/#/admin/groups');
  const nav = page.getByRole('navigation', { name: 'Admin sections' });
  await expect(nav).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Groups' })).toBeVisible();
  // The nav is a row above the section, and nothing makes the page scroll sideways.
  const navBox = (await nav.boundingBox())!;
  const mainBox = (await page.locator('.admin-main').boundingBox())!;
  expect(navBox.y + navBox.height).toBeLessThanOrEqual(mainBox.y + 1);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  for (const [label, heading] of [['Filters', 'Filters'], ['Bots', 'Bots'], ['Dashboard', 'Dashboard']]) {
    await nav.getByRole('link', { name: label }).click();
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  }
  await expect(page.locator('.admin-chart canvas').first()).toBeVisible();
  await context.close();
});

test('groups, API keys, webhooks, word lists and bots through the console', async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const violations = cspViolations(page);
  await signIn(page, server.url, ADMIN.username, ADMIN.password);
  const root = await restLogin(ADMIN.username, ADMIN.password);
  const bobName = uniqueName('bob');
  const bob = await registerUser(server.url, bobName);
  const group = await rest<{ group_id: string; conv: string }>(root.token, 'POST', '/admin/v1/groups', {
    owner: root.userId, name: 'Team room', members: [bob],
  });
  const nav = page.getByRole('navigation', { name: 'Admin sections' });

  // A reject word list, made in the textarea, applies to the next send.
  await page.goto(server.url + '/#/admin/filters');
  await page.getByRole('link', { name: 'New word list' }).click();
  const listForm = page.getByRole('form', { name: 'New word list' });
  await listForm.getByLabel('Name').fill('Scams');
  await listForm.getByLabel('Action').selectOption('reject');
  await listForm.getByLabel('Words, one per line').fill('scam\nphishing\n!!!\n');
  await listForm.getByRole('button', { name: 'Create list' }).click();
  await confirm(page, 'Create list');
  await expect(page).toHaveURL(/#\/admin\/filters\/fl_/);
  await expect(page.getByText('The server kept 2.')).toBeVisible();
  const refused = await fetch(`${server.url}/api/v1/conversations/${encodeURIComponent(group.conv)}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${root.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_msg_id: 'scam-1', kind: 'text', body: { text: 'a great s c a m' } }),
  });
  expect(refused.status).toBe(403);
  expect((await refused.json()).error.code).toBe('content_rejected');
  await page.getByRole('link', { name: 'All word lists' }).click();
  await expect(page.getByRole('row', { name: /Scams/ })).toContainText('2');

  // Group members: make Bob an admin, remove him, dissolve the group.
  await nav.getByRole('link', { name: 'Groups' }).click();
  await page.getByRole('link', { name: 'Team room' }).click();
  await expect(page).toHaveURL(new RegExp(`#/admin/groups/${group.group_id}$`));
  const bobRow = page.getByRole('row', { name: new RegExp(bobName) });
  await bobRow.getByLabel(`Role of ${bobName}`).selectOption('admin');
  await confirm(page, 'Change role');
  await expect(page.getByRole('status')).toContainText(`The role of ${bobName} changed.`);
  await expect(bobRow.getByLabel(`Role of ${bobName}`)).toHaveValue('admin');
  await bobRow.getByRole('button', { name: `Remove ${bobName} from the group` }).click();
  await confirm(page, 'Remove');
  await expect(bobRow).toHaveCount(0);
  await page.getByRole('button', { name: 'Dissolve group' }).click();
  await confirm(page, 'Dissolve group');
  await expect(page.locator('.admin-facts')).toContainText('Dissolved');

  // An API key: its secret shown once; then a webhook (on the admin's own session); then the key revoked.
  await nav.getByRole('link', { name: 'API keys' }).click();
  const keyForm = page.getByRole('form', { name: 'New API key' });
  await keyForm.getByLabel('Name').fill('HR sync');
  await keyForm.getByRole('checkbox', { name: /webhooks:manage/ }).check();
  await keyForm.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByTestId('secret')).toHaveText(/^tk_[0-9A-Z]+_\S+$/);
  await nav.getByRole('link', { name: 'Webhooks' }).click();
  const hookForm = page.getByRole('form', { name: 'New webhook' });
  await hookForm.getByLabel('URL').fill('http://127.0.0.1:9/hook');
  await hookForm.getByRole('button', { name: 'Add webhook' }).click();
  await expect(page.getByTestId('secret')).toHaveText(/^whsec_/);
  await page.getByRole('link', { name: 'Deliveries' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Deliveries of/ })).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Attempts' })).toBeVisible();
  await nav.getByRole('link', { name: 'API keys' }).click();
  await page.getByRole('button', { name: 'Revoke the key HR sync' }).click();
  await confirm(page, 'Revoke');
  await expect(page.getByRole('row', { name: /HR sync/ })).toContainText('Revoked');

  // An AI bot: its model key is write-only.
  await nav.getByRole('link', { name: 'Bots' }).click();
  await page.getByRole('link', { name: 'New AI bot' }).click();
  const botForm = page.getByRole('form', { name: 'New AI bot' });
  const botName = uniqueName('helper');
  await botForm.getByLabel('Username').fill(botName);
  await botForm.getByLabel('API base URL').fill('http://127.0.0.1:9/v1');
  await botForm.getByLabel('Model', { exact: true }).fill('tiny-model');
  await botForm.getByLabel('Model API key').fill('sk-very-secret');
  await botForm.getByLabel('Requests per day', { exact: true }).fill('50');
  await botForm.getByRole('button', { name: 'Create bot' }).click();
  await confirm(page, 'Create bot');
  await expect(page).toHaveURL(/#\/admin\/bots\/u_/);
  const editForm = page.getByRole('form', { name: 'Edit AI bot' });
  await expect(editForm.getByLabel('Model API key')).toHaveValue('');
  await expect(editForm.getByLabel('Model API key')).toHaveAttribute('placeholder', 'A key is set — type to replace it');
  await expect(editForm.getByLabel('Requests per day', { exact: true })).toHaveValue('50');
  await expect(page.getByRole('heading', { name: 'Usage' })).toBeVisible();
  expect(await page.content()).not.toContain('sk-very-secret');
  await page.getByRole('link', { name: 'All bots' }).click();
  const botRow = page.getByRole('row', { name: new RegExp(botName) });
  await expect(botRow).toContainText('set');
  await botRow.getByRole('button', { name: `Delete the bot ${botName}` }).click();
  await confirm(page, 'Delete');
  await expect(botRow).toHaveCount(0);

  expect(violations).toEqual([]);
  await context.close();
});
