import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { removeDir, runCli, startServer, tempDir, type RunningServer } from '../helpers/server.js';

const CHROMIUM = '/usr/bin/chromium';

describe('/docs in a real browser', { skip: existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)` }, () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  before(async () => {
    dir = tempDir();
    const env = { GATEHOUSE_DATA_DIR: dir };
    const added = await runCli(['user', 'add', 'johndoe', '--email', 'john@example.com', '--password-stdin'], env, 'swagger password\n');
    assert.equal(added.code, 0, added.stderr);
    server = await startServer(env);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    removeDir(dir);
  });

  /** Authorize with the password flow from the page at `docsUrl`, then Try it out on GET /users/me. */
  async function loginAndCallUsersMe(docsUrl: string): Promise<void> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    try {
      await page.goto(docsUrl);
      await page.locator('button.authorize').first().click();
      await page.locator('#oauth_username').fill('johndoe');
      await page.locator('#oauth_password').fill('swagger password');
      await page.locator('.auth-btn-wrapper button.authorize').click();
      await page.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor({ timeout: 10_000 });
      await page.locator('.auth-btn-wrapper button.btn-done').click();

      await page.locator('#operations-users-get_users_me .opblock-summary').click();
      await page.locator('#operations-users-get_users_me button.try-out__btn').click();
      await page.locator('#operations-users-get_users_me button.execute').click();
      const status = page.locator('#operations-users-get_users_me .live-responses-table tr.response .response-col_status').first();
      await status.waitFor({ timeout: 10_000 });
      assert.equal((await status.textContent())?.trim(), '200');
      const body = await page.locator('#operations-users-get_users_me .live-responses-table .microlight').first().textContent();
      assert.match(body ?? '', /"username": "johndoe"/);
    } finally {
      await page.close();
      // Checked even when a step timed out: a refused request is the likeliest reason.
      assert.deepEqual(
        errors.filter((e) => /Content Security Policy|Refused/.test(e)),
        [],
        'the page’s CSP must not break Swagger UI',
      );
    }
  }

  it('logs in with the Authorize button, then calls /users/me with Try it out', async () => {
    await loginAndCallUsersMe(`${server.url}/docs`);
  });

  it('works from another name for the server than the issuer’s (localhost for 127.0.0.1)', async () => {
    // The issuer is http://127.0.0.1:<port>; the page's CSP allows only its own origin.
    await loginAndCallUsersMe(`http://localhost:${server.port}/docs`);
  });
});
