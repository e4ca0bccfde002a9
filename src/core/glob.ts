/**
 * Shell-style globs as the owner writes them in config (`llama3.2:*`, `default/public-*`,
 * `mesh-family-*`): `*` matches any run of characters (including `/`), `?` one character; everything
 * else is literal. Case-sensitive.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function matchesGlob(value: string, glob: string): boolean {
  return globToRegExp(glob).test(value);
}

export function matchesAnyGlob(value: string, globs: readonly string[]): boolean {
  return globs.some((g) => matchesGlob(value, g));
}
