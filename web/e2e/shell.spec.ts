// The shell: the page is served by tidings under a strict CSP, an account is created and signed
// in through the page, and the zh-CN switch changes the interface language (and is remembered).
import { test, expect } from '@playwright/test';
import { TidingsServer } from './server';
import { uniqueName } from './helpers';

const server = new TidingsServer();
test.beforeAll(async () => server.start());
test.afterAll(async () => server.dispose());

test('the app is served with a strict content security policy', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  const response = await page.goto(server.url + '/');
  expect(response?.status()).toBe(200);
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  await expect(page.getByRole('heading', { level: 2 })).toBeVisible();
  expect(violations).toEqual([]);
});

test('register, sign in, switch to zh-CN and back', async ({ page }) => {
  const name = uniqueName('lang');
  await page.goto(server.url + '/');
  await page.getByLabel('Language').selectOption('en');
  await page.getByRole('button', { name: 'No account yet? Create one' }).click();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill('password-123');
  await page.locator('form button[type=submit]').click();
  await expect(page.getByTestId('me')).toHaveText(name);
  await expect(page.getByTestId('logout')).toHaveText('Sign out');

  await page.getByTestId('lang-switch').selectOption('zh-CN');
  await expect(page.getByTestId('logout')).toHaveText('退出登录');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  // The choice survives a reload (and the session does too, in this tab).
  await page.reload();
  await expect(page.getByTestId('logout')).toHaveText('退出登录');

  await page.getByTestId('lang-switch').selectOption('en');
  await expect(page.getByTestId('logout')).toHaveText('Sign out');
  await page.getByTestId('logout').click();
  await expect(page.getByRole('heading', { level: 2 })).toHaveText('Sign in');
});
