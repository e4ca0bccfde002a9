import { describe, expect, it } from 'vitest';
import {
  cliCommand,
  defaultServiceDir,
  readServiceTemplate,
  renderServiceFile,
  systemdQuote,
} from './service-files.js';

const NODE = '/usr/bin/node';
const SCRIPT = '/usr/lib/node_modules/atmosphere-mesh/bin/atmosphere.js';

interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

/**
 * A strict little XML reader, enough for a plist: balanced tags, no stray `<` or `&`, known
 * entities only. Throws on anything malformed.
 */
function parseXml(xml: string): XmlElement {
  const body = xml
    .replace(/^<\?xml[^>]*\?>\s*/, '')
    .replace(/<!DOCTYPE[^>]*>/, '')
    .replace(/<!--[\s\S]*?-->/g, '');
  const root: XmlElement = { name: '#document', children: [], text: '' };
  const stack: XmlElement[] = [root];
  const decode = (t: string): string => {
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(t) || t.includes('>')) throw new Error(`bad character data: ${t}`);
    return t
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  };
  for (const part of body.split(/(<[^>]*>)/)) {
    const top = stack.at(-1)!;
    const tag = /^<(\/?)([A-Za-z]+)(?:\s+[^>]*?)?(\/?)>$/.exec(part);
    if (!tag) {
      if (part.includes('<')) throw new Error(`malformed markup: ${part}`);
      top.text += decode(part);
      continue;
    }
    const [, closing, name = '', selfClosing] = tag;
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const el: XmlElement = { name, children: [], text: '' };
      top.children.push(el);
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  return root;
}

/** The plist's top-level dict as key → value element. */
function plistEntries(xml: string): Map<string, XmlElement> {
  const plist = parseXml(xml).children.find((e) => e.name === 'plist');
  const dict = plist?.children.find((e) => e.name === 'dict');
  const map = new Map<string, XmlElement>();
  const children = dict?.children ?? [];
  for (let i = 0; i < children.length; i += 2) map.set(children[i]!.text, children[i + 1]!);
  return map;
}

describe('service files', () => {
  it('runs node with the entry script, or a single executable by itself', () => {
    expect(cliCommand(NODE, SCRIPT)).toEqual([NODE, SCRIPT]);
    expect(cliCommand('/opt/atmosphere/atmosphere', '/opt/atmosphere/atmosphere')).toEqual([
      '/opt/atmosphere/atmosphere',
    ]);
  });

  it('renders a user unit with the home and the command that starts the node in the foreground', () => {
    const unit = renderServiceFile(
      { manager: 'systemd', scope: 'user', command: [NODE, SCRIPT], homeDir: '/home/ada/.atmosphere' },
      readServiceTemplate('systemd', 'user'),
    );
    expect(unit).toMatch(/^Environment=ATMOSPHERE_HOME=\/home\/ada\/\.atmosphere$/m);
    expect(unit).toMatch(new RegExp(`^ExecStart=${NODE} ${SCRIPT} start --foreground$`, 'm'));
    expect(unit).toMatch(/^WantedBy=default\.target$/m);
    expect(unit).not.toMatch(/^User=/m);
    expect(unit).not.toContain('@');
  });

  it('renders a system unit that runs as the given account', () => {
    const unit = renderServiceFile(
      {
        manager: 'systemd',
        scope: 'system',
        command: ['/usr/bin/atmosphere'],
        homeDir: '/var/lib/atmosphere',
        user: 'atmosphere',
      },
      readServiceTemplate('systemd', 'system'),
    );
    expect(unit).toMatch(/^User=atmosphere$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/atmosphere start --foreground$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  it('quotes paths with spaces and escapes systemd specifiers and variables', () => {
    expect(systemdQuote('/opt/my apps/node', { exec: true })).toBe('"/opt/my apps/node"');
    expect(systemdQuote('/data/100%', { exec: true })).toBe('/data/100%%');
    expect(systemdQuote('/a/$HOME', { exec: true })).toBe('"/a/$$HOME"');
    expect(systemdQuote('ATMOSPHERE_HOME=/a/$HOME')).toBe('"ATMOSPHERE_HOME=/a/$HOME"');
    expect(systemdQuote('say "hi"\\', { exec: true })).toBe('"say \\"hi\\"\\\\"');
    expect(() => systemdQuote('a\nb')).toThrow(/line break/);
    const unit = renderServiceFile(
      {
        manager: 'systemd',
        scope: 'user',
        command: ['/opt/my apps/node', SCRIPT],
        homeDir: '/home/a b/.atmosphere',
      },
      readServiceTemplate('systemd', 'user'),
    );
    expect(unit).toContain('Environment="ATMOSPHERE_HOME=/home/a b/.atmosphere"');
    expect(unit).toContain(`ExecStart="/opt/my apps/node" ${SCRIPT} start --foreground`);
  });

  it('renders a well-formed launchd plist with escaped arguments, and UserName only for a daemon', () => {
    const agent = renderServiceFile(
      {
        manager: 'launchd',
        scope: 'user',
        command: [NODE, '/Users/a&b/atmosphere.js'],
        homeDir: '/Users/a&b/.atmosphere',
      },
      readServiceTemplate('launchd', 'user'),
    );
    const entries = plistEntries(agent);
    expect(entries.get('Label')?.text).toBe('dev.atmosphere.node');
    expect((entries.get('ProgramArguments')?.children ?? []).map((e) => e.text)).toEqual([
      NODE,
      '/Users/a&b/atmosphere.js',
      'start',
      '--foreground',
    ]);
    expect(entries.get('EnvironmentVariables')?.children.map((e) => e.text)).toContain(
      '/Users/a&b/.atmosphere',
    );
    expect(entries.has('UserName')).toBe(false);
    expect(entries.get('RunAtLoad')?.name).toBe('true');

    const daemon = renderServiceFile(
      {
        manager: 'launchd',
        scope: 'system',
        command: [NODE, SCRIPT],
        homeDir: '/var/atmosphere',
        user: '_atmosphere',
      },
      readServiceTemplate('launchd', 'system'),
    );
    expect(plistEntries(daemon).get('UserName')?.text).toBe('_atmosphere');
    expect(() => parseXml('<plist><dict><string>a & b</string></dict></plist>')).toThrow(
      /bad character data/,
    );
  });

  it('puts service files where each manager looks for them', () => {
    expect(defaultServiceDir('systemd', 'user', {}, '/home/ada')).toBe('/home/ada/.config/systemd/user');
    expect(defaultServiceDir('systemd', 'user', { XDG_CONFIG_HOME: '/cfg' }, '/home/ada')).toBe(
      '/cfg/systemd/user',
    );
    expect(defaultServiceDir('systemd', 'system', {}, '/home/ada')).toBe('/etc/systemd/system');
    expect(defaultServiceDir('launchd', 'user', {}, '/Users/ada')).toBe('/Users/ada/Library/LaunchAgents');
    expect(defaultServiceDir('launchd', 'system', {}, '/Users/ada')).toBe('/Library/LaunchDaemons');
  });

  it('refuses a template field it has no value for', () => {
    expect(() =>
      renderServiceFile(
        { manager: 'systemd', scope: 'user', command: [NODE], homeDir: '/h' },
        'ExecStart=@EXEC_START@\nX=@SOMETHING_NEW@\n',
      ),
    ).toThrow(/@SOMETHING_NEW@ has no value/);
  });
});
