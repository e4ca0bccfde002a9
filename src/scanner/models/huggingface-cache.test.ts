import { describe, expect, it } from 'vitest';
import type { ScanEnv } from '../scan-env.js';
import { systemScanEnv } from '../scan-env.js';
import { huggingFaceHubDir, repoIdFromFolder } from './huggingface-cache.js';

const envWith = (vars: Record<string, string>): ScanEnv => ({
  ...systemScanEnv({ env: vars }),
  homeDir: '/home/ana',
});

describe('huggingFaceHubDir', () => {
  it('prefers HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME, then ~/.cache', () => {
    const all = {
      HF_HUB_CACHE: '/data/hub',
      HUGGINGFACE_HUB_CACHE: '/old/hub',
      HF_HOME: '/data/hf',
      XDG_CACHE_HOME: '/xdg',
    };
    expect(huggingFaceHubDir(envWith(all))).toBe('/data/hub');
    const { HF_HUB_CACHE: _a, ...noHubCache } = all;
    expect(huggingFaceHubDir(envWith(noHubCache))).toBe('/old/hub');
    const { HUGGINGFACE_HUB_CACHE: _b, ...onlyHomes } = noHubCache;
    expect(huggingFaceHubDir(envWith(onlyHomes))).toBe('/data/hf/hub');
    expect(huggingFaceHubDir(envWith({ XDG_CACHE_HOME: '/xdg' }))).toBe('/xdg/huggingface/hub');
    expect(huggingFaceHubDir(envWith({}))).toBe('/home/ana/.cache/huggingface/hub');
  });

  it('expands ~ and ignores empty variables', () => {
    expect(huggingFaceHubDir(envWith({ HF_HOME: '~/hf', HF_HUB_CACHE: '  ' }))).toBe('/home/ana/hf/hub');
  });
});

describe('repoIdFromFolder', () => {
  it('turns cache folder names into repo ids and refuses other folders', () => {
    expect(repoIdFromFolder('models--openai--whisper-small')).toBe('openai/whisper-small');
    expect(repoIdFromFolder('models--gpt2')).toBe('gpt2');
    expect(repoIdFromFolder('datasets--squad--plain')).toBeNull();
    expect(repoIdFromFolder('models--')).toBeNull();
  });
});
