/**
 * The few HTML pages the node itself answers (sign-in problems, no web panel built). Plain HTML with
 * no inline script or style, so they live under the strict CSP of `/ui`.
 */

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A page with a title and paragraphs; text between backticks is shown as code. */
export function renderPage(title: string, paragraphs: readonly string[]): string {
  const body = paragraphs
    .map((p) => `<p>${escapeHtml(p).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('\n    ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${escapeHtml(title)} · Atmosphere</title>
  </head>
  <body>
    <h1>${escapeHtml(title)}</h1>
    ${body}
  </body>
</html>
`;
}

export const SIGN_IN_PAGE = renderPage('Sign in to Atmosphere', [
  'The web control panel opens with a one-time link. Run `atmosphere ui` on this machine to open it in your browser.',
]);

export const LOGIN_LINK_USED_PAGE = renderPage('This sign-in link cannot be used', [
  'Sign-in links work once and expire after a short time. Run `atmosphere ui` on this machine for a new one.',
]);

export const PHONE_NOT_BUILT_PAGE = renderPage('Phone app not available', [
  'This version of Atmosphere does not include the built phone app.',
  'Build it with `npm run build` in a source checkout; a phone then joins from `/phone/` on this node.',
]);

export const UI_NOT_BUILT_PAGE = renderPage('Web control panel not available', [
  'This version of Atmosphere does not include the built web control panel.',
  'Everything it would show is available from the command line: `atmosphere status`, `atmosphere config`, and `atmosphere --help` for the rest.',
  'When a build includes the panel, `atmosphere ui` opens it here.',
]);
