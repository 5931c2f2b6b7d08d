/** The sign-in form and the page that waits for the step-up. */
import { html } from '../../util/html.js';
import { layout } from '../layout.js';

export function signInPage(o: { token: string; otp: boolean; error?: string }): string {
  return layout({
    title: 'Sign in',
    body: html`${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/console/login" class="sign-in" aria-label="Sign in">
<input type="hidden" name="csrf" value="${o.token}">
<p><label for="user">Directory user name</label><br><input id="user" name="user" autocomplete="username" required maxlength="512" autofocus></p>
<p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="512"></p>
${o.otp ? html`<p><label for="code">One-time code (optional: otherwise Okta Verify asks your phone)</label><br><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8"></p>` : ''}
<p><button type="submit">Sign in</button></p></form>
<p>Your password is checked by the directory through bindwall; then approve the Okta Verify prompt on your phone.</p>`,
  });
}

export function waitingPage(sinceS: number): string {
  return layout({
    title: 'Approve the sign-in on your phone',
    refreshS: 2,
    body: html`<p role="status" aria-live="polite">Waiting for Okta Verify (${sinceS} s). This page checks again every 2 seconds.</p>
<noscript><p>If it does not move on by itself, <a href="/console/login/wait">check again</a>.</p></noscript>`,
  });
}
