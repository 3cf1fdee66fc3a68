// Friends, groups and search panels in a real browser against a real server: a friend request
// sent through the panel and accepted by the other user in a second browser context; a group
// created with that friend, its announcement set and seen by the friend; a message sent over
// REST found by search, the click moving to `#/c/<conv>?seq=<seq>`.
//
// The panels live in the chat sidebar's tabs ("Friends", "Groups", "Search", role tab) at `#/`.
import { test, expect, type Browser, type Page } from '@playwright/test';
import { TidingsServer } from './server';
import { registerUser, signIn, uniqueName } from './helpers';

const server = new TidingsServer();

interface Account {
  username: string;
  displayName: string;
  id: string;
}
let alice: Account;
let bob: Account;

async function makeAccount(prefix: string, displayName: string): Promise<Account> {
  const username = uniqueName(prefix);
  const name = `${displayName} ${username.slice(-4)}`;
  return { username, displayName: name, id: await registerUser(server.url, username, 'password-123', name) };
}

async function restToken(account: Account): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: account.username, password: 'password-123', device_id: 'e2e-rest', platform: 'other' }),
  });
  expect(response.status).toBe(200);
  return (await response.json()).access_token;
}

function directConv(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

/** A signed-in page for `account`, with the CSP violations it logs collected in `violations`. */
async function pageFor(browser: Browser, account: Account, violations: string[], phone = false): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript(() => localStorage.setItem('tidings.lang', 'en'));
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  await signIn(page, server.url, account.username);
  // The shared sign-in waits for the name in the top bar, which a phone hides: narrow it after.
  if (phone) await page.setViewportSize({ width: 390, height: 844 });
  return page;
}

/** Opens the sidebar tab `name` ("Friends", "Groups", "Search") from the chat's start page. */
async function openTab(page: Page, name: 'Friends' | 'Groups' | 'Search') {
  await page.goto(`${server.url}/#/`);
  const tab = page.getByRole('tab', { name });
  await tab.click();
  await expect(tab).toHaveAttribute('aria-selected', 'true');
}

test.beforeAll(async () => {
  await server.start();
  alice = await makeAccount('alice', 'Alice');
  bob = await makeAccount('bob', 'Bob');
});
test.afterAll(async () => server.dispose());

test.describe.configure({ mode: 'serial' });

test('a friend request sent in the panel is accepted by the other user, and the friend opens the direct chat', async ({ browser }) => {
  const violations: string[] = [];
  const pageA = await pageFor(browser, alice, violations);
  const pageB = await pageFor(browser, bob, violations, true);

  await openTab(pageA, 'Friends');
  const friendsA = pageA.getByTestId('friends-panel');
  await expect(friendsA.getByTestId('my-user-id')).toHaveText(alice.id);
  await expect(friendsA.getByText('No friends yet')).toBeVisible();
  await friendsA.getByRole('button', { name: 'Add friend' }).click();
  // A username no one has is said so, and nothing is sent; the exact username finds Bob.
  await friendsA.getByLabel('Their username or user id').fill(bob.username + 'x');
  await friendsA.getByRole('button', { name: 'Send request' }).click();
  await expect(friendsA.getByText('No one has that username or id.')).toBeVisible();
  await friendsA.getByLabel('Their username or user id').fill(bob.username.toUpperCase());
  await friendsA.getByLabel('Note (optional)').fill('hello from the panel');
  await friendsA.getByRole('button', { name: 'Send request' }).click();
  await expect(friendsA.getByText(`Request sent to ${bob.displayName}.`)).toBeVisible();
  await expect(friendsA.getByTestId('outgoing-requests')).toContainText(bob.displayName);

  await openTab(pageB, 'Friends');
  const friendsB = pageB.getByTestId('friends-panel');
  const incoming = friendsB.getByTestId('incoming-requests');
  await expect(incoming).toContainText(alice.displayName);
  await expect(incoming).toContainText('hello from the panel');
  await incoming.getByRole('button', { name: `Accept ${alice.displayName}` }).click();
  await expect(friendsB.getByTestId('friend-list')).toContainText(alice.displayName);
  await expect(friendsB.getByTestId('incoming-requests')).toHaveCount(0);

  // A's panel learns it on reload (the server pushes nothing for friend requests).
  await friendsA.getByRole('button', { name: 'Reload' }).click();
  const friendA = friendsA.getByRole('button', { name: `Chat with ${bob.displayName}` });
  await expect(friendA).toBeVisible();
  await expect(friendsA.getByTestId('outgoing-requests')).toHaveCount(0);
  await friendA.click();
  await expect(pageA).toHaveURL(`${server.url}/#/c/${encodeURIComponent(directConv(alice.id, bob.id))}`);

  expect(violations).toEqual([]);
  await pageA.context().close();
  await pageB.context().close();
});

test('a group created with a friend gets an announcement, and the friend sees both', async ({ browser }) => {
  const violations: string[] = [];
  const pageA = await pageFor(browser, alice, violations);
  const pageB = await pageFor(browser, bob, violations, true);
  const groupName = uniqueName('Crew ');
  const announcement = 'Standup moves to 10:00 <b>sharp</b>';

  await openTab(pageA, 'Groups');
  const groupsA = pageA.getByTestId('groups-panel');
  await groupsA.getByRole('button', { name: 'New group' }).click();
  await groupsA.getByLabel('Group name').fill(groupName);
  await groupsA.getByRole('checkbox', { name: bob.displayName }).check();
  await groupsA.getByRole('button', { name: 'Create' }).click();
  // The new group's details open: A owns it, B is a member.
  await expect(groupsA.getByRole('heading', { name: groupName })).toBeVisible();
  const members = groupsA.getByTestId('member-list');
  await expect(members.getByRole('listitem').filter({ hasText: alice.displayName })).toContainText('Owner');
  await expect(members.getByRole('listitem').filter({ hasText: bob.displayName })).toContainText('Member');
  await groupsA.getByTestId('announcement-input').fill(announcement);
  await groupsA.getByRole('button', { name: 'Save announcement' }).click();
  await expect(groupsA.getByText('Announcement saved.')).toBeVisible();
  // The owner makes B an admin: the role shows after the reload.
  await members.getByRole('button', { name: `More actions for ${bob.displayName}` }).click();
  await members.getByRole('button', { name: 'Make admin' }).click();
  await expect(members.getByRole('listitem').filter({ hasText: bob.displayName })).toContainText('Admin');

  await openTab(pageB, 'Groups');
  const groupsB = pageB.getByTestId('groups-panel');
  await expect(groupsB.getByTestId('group-list')).toContainText(groupName);
  await groupsB.getByRole('button', { name: `Details of ${groupName}` }).click();
  // As an admin B may edit: the announcement is in the text box, as text (no markup made of it).
  await expect(groupsB.getByTestId('announcement-input')).toHaveValue(announcement);
  await expect(groupsB.locator('b')).toHaveCount(0);
  await groupsB.getByRole('button', { name: 'Open chat' }).click();
  await expect(pageB).toHaveURL(new RegExp(`#/c/${encodeURIComponent('g:')}g_[0-9A-Z]+$`));

  expect(violations).toEqual([]);
  await pageA.context().close();
  await pageB.context().close();
});

test('search finds a message, marks the match and opens the conversation at it', async ({ browser }) => {
  const token = await restToken(alice);
  const conv = directConv(alice.id, bob.id);
  const response = await fetch(`${server.url}/api/v1/conversations/${encodeURIComponent(conv)}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ client_msg_id: 'search-1', kind: 'text', body: { text: '🚀🚀 The quarterly Zeppelin report <i>is</i> ready' } }),
  });
  expect(response.status).toBe(201);
  const seq: number = (await response.json()).seq;

  const violations: string[] = [];
  const pageB = await pageFor(browser, bob, violations);
  await openTab(pageB, 'Search');
  const search = pageB.getByTestId('search-panel');
  await search.getByRole('searchbox', { name: 'Search messages' }).fill('zeppel');
  const results = search.getByTestId('search-results');
  // Indexing runs after the commit: the debounced query may need a second look.
  await expect(async () => {
    await search.getByRole('searchbox', { name: 'Search messages' }).fill('zeppel ');
    await search.getByRole('searchbox', { name: 'Search messages' }).fill('zeppel');
    await expect(results).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 15_000 });
  const hit = results.getByRole('button').filter({ hasText: 'quarterly' });
  await expect(hit).toHaveCount(1);
  // Offsets count code points: the rockets before the word must not shift the mark.
  await expect(hit.locator('mark')).toHaveText(['Zeppel']);
  await expect(hit).toContainText(alice.displayName); // the conversation (B's peer) and the sender
  await expect(hit).toContainText('<i>is</i>'); // text stays text
  await expect(hit.locator('i')).toHaveCount(0);

  // Nothing matches in another kind.
  await search.getByRole('combobox', { name: 'Kind of message' }).selectOption('file');
  await expect(search.getByText('No messages found.')).toBeVisible();
  await search.getByRole('combobox', { name: 'Kind of message' }).selectOption('');
  await expect(hit).toBeVisible();

  await hit.click();
  await expect(pageB).toHaveURL(`${server.url}/#/c/${encodeURIComponent(conv)}?seq=${seq}`);
  expect(violations).toEqual([]);
  await pageB.context().close();
});

test('a join request is approved, a member muted and removed, the group renamed, left and dissolved', async ({ browser }) => {
  const carol = await makeAccount('carol', 'Carol');
  const token = await restToken(alice);
  const groups = await (await fetch(`${server.url}/api/v1/groups`, { headers: { authorization: `Bearer ${token}` } })).json();
  const group = groups.groups[0];
  expect(group.me.role).toBe('owner');

  const violations: string[] = [];
  const pageC = await pageFor(browser, carol, violations);
  await openTab(pageC, 'Groups');
  const groupsC = pageC.getByTestId('groups-panel');
  await groupsC.getByRole('button', { name: 'Join', exact: true }).click();
  await groupsC.getByLabel('Group id').fill(group.group_id);
  await groupsC.getByRole('button', { name: 'Join or ask to join' }).click();
  await expect(groupsC.getByText('Your request was sent')).toBeVisible();

  const pageA = await pageFor(browser, alice, violations);
  await openTab(pageA, 'Groups');
  const groupsA = pageA.getByTestId('groups-panel');
  await groupsA.getByRole('button', { name: `Details of ${group.name}` }).click();
  await groupsA.getByRole('button', { name: `Approve ${carol.displayName}` }).click();
  const members = groupsA.getByTestId('member-list');
  const carolRow = members.getByRole('listitem').filter({ hasText: carol.displayName });
  await expect(carolRow).toContainText('Member');
  await carolRow.getByRole('button', { name: `More actions for ${carol.displayName}` }).click();
  await carolRow.getByRole('button', { name: 'Mute', exact: true }).click();
  await expect(carolRow).toContainText('muted until');
  await carolRow.getByRole('button', { name: `Remove ${carol.displayName} from the group` }).click();
  await carolRow.getByRole('button', { name: 'Yes, remove' }).click();
  await expect(carolRow).toHaveCount(0);

  const renamed = uniqueName('Renamed ');
  await groupsA.getByLabel('Group name').fill(renamed);
  await groupsA.getByRole('button', { name: 'Rename' }).click();
  await expect(groupsA.getByRole('heading', { name: renamed })).toBeVisible();

  const pageB = await pageFor(browser, bob, violations);
  await openTab(pageB, 'Groups');
  const groupsB = pageB.getByTestId('groups-panel');
  await groupsB.getByRole('button', { name: `Details of ${renamed}` }).click();
  await groupsB.getByRole('button', { name: 'Leave group' }).click();
  await groupsB.getByRole('button', { name: 'Yes, leave' }).click();
  await expect(groupsB.getByText('You are in no group yet.')).toBeVisible();

  await groupsA.getByRole('button', { name: 'Dissolve group' }).click();
  await groupsA.getByRole('button', { name: 'Yes, dissolve for everyone' }).click();
  await expect(groupsA.getByTestId('group-list').getByRole('listitem').filter({ hasText: renamed })).toContainText('Dissolved');

  expect(violations).toEqual([]);
  for (const page of [pageA, pageB, pageC]) await page.context().close();
});

test('search pages with "more"; a friend is blocked, unblocked and removed', async ({ browser }) => {
  const token = await restToken(bob);
  const conv = directConv(alice.id, bob.id);
  for (let i = 1; i <= 22; i++) {
    const response = await fetch(`${server.url}/api/v1/conversations/${encodeURIComponent(conv)}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ client_msg_id: `bulk-${i}`, kind: 'text', body: { text: `marmalade batch number ${i}` } }),
    });
    expect(response.status).toBe(201);
  }
  const violations: string[] = [];
  const pageA = await pageFor(browser, alice, violations);
  await openTab(pageA, 'Search');
  const search = pageA.getByTestId('search-panel');
  const hits = search.getByTestId('search-results').getByRole('listitem');
  await expect(async () => {
    await search.getByRole('searchbox', { name: 'Search messages' }).fill('marmalad ');
    await search.getByRole('searchbox', { name: 'Search messages' }).fill('marmalade');
    await expect(hits).toHaveCount(20, { timeout: 2_000 });
  }).toPass({ timeout: 15_000 });
  await expect(hits.first()).toContainText('marmalade batch number 22'); // newest first
  await search.getByRole('button', { name: 'More results' }).click();
  await expect(hits).toHaveCount(22);
  await expect(hits.last()).toContainText('marmalade batch number 1');
  await expect(search.getByRole('button', { name: 'More results' })).toHaveCount(0);

  await openTab(pageA, 'Friends');
  const friends = pageA.getByTestId('friends-panel');
  await friends.getByRole('button', { name: `More actions for ${bob.displayName}` }).click();
  await friends.getByRole('button', { name: `Block ${bob.displayName}` }).click();
  await expect(friends.getByTestId('blocked-list')).toContainText(bob.displayName);
  await friends.getByRole('button', { name: `Unblock ${bob.displayName}` }).click();
  await expect(friends.getByTestId('blocked-list')).toHaveCount(0);
  await friends.getByRole('button', { name: `Remove ${bob.displayName} from friends` }).click();
  await friends.getByRole('button', { name: 'Yes, remove' }).click();
  await expect(friends.getByText('No friends yet')).toBeVisible();

  expect(violations).toEqual([]);
  await pageA.context().close();
});
