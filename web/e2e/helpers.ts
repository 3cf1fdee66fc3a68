// Steps many tests share: accounts made over the API, sign-in through the page.
import { expect, type Page } from '@playwright/test';

let counter = 0;

/** A fresh username for this run. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

/** Registers an account over the REST API; returns its user id. */
export async function registerUser(baseUrl: string, username: string, password = 'password-123', displayName?: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, display_name: displayName ?? username }),
  });
  if (response.status !== 201) throw new Error(`register ${username}: ${response.status} ${await response.text()}`);
  return (await response.json()).user_id;
}

/** Signs in through the sign-in page and waits for the shell (its sign-out button, which shows
 * at every width). */
export async function signIn(page: Page, baseUrl: string, username: string, password = 'password-123') {
  await page.goto(baseUrl + '/');
  await page.getByLabel(/Username|用户名/).fill(username);
  await page.getByLabel(/Password|密码/).fill(password);
  await page.locator('form button[type=submit]').click();
  await expect(page.getByTestId('logout')).toBeVisible();
}
