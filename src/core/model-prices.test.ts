import { describe, expect, it } from 'vitest';
import { costUsd, findModelPrice, MODEL_PRICE_LISTS } from './model-prices.js';

describe('findModelPrice', () => {
  it('prices a model of the provider behind the base URL, with its source and date', () => {
    const price = findModelPrice('https://api.openai.com/v1', 'gpt-4o-mini');
    expect(price).toMatchObject({ inputUsdPerMillion: 0.15, outputUsdPerMillion: 0.6 });
    expect(price?.source).toContain('openai.com');
    expect(price?.asOf).toMatch(/^\d{4}-\d{2}$/);
  });

  it('prices a dated snapshot like its model, but never a different model by prefix', () => {
    expect(findModelPrice('https://api.openai.com/v1', 'gpt-4o-mini-2024-07-18')?.inputUsdPerMillion).toBe(
      0.15,
    );
    expect(findModelPrice('https://api.openai.com/v1', 'gpt-4o-mini-audio-preview')).toBeNull();
  });

  it('knows no price for another host, an unknown model or a bad URL', () => {
    expect(findModelPrice('https://api.groq.com/openai/v1', 'gpt-4o-mini')).toBeNull();
    expect(findModelPrice('https://api.openai.com/v1', 'gpt-99')).toBeNull();
    expect(findModelPrice('not a url', 'gpt-4o-mini')).toBeNull();
  });

  it('keeps every listed price non-negative with output at least input for chat models', () => {
    for (const list of MODEL_PRICE_LISTS) {
      for (const [model, price] of Object.entries(list.models)) {
        expect(price.inputUsdPerMillion, model).toBeGreaterThan(0);
        if (!model.includes('embedding'))
          expect(price.outputUsdPerMillion, model).toBeGreaterThanOrEqual(price.inputUsdPerMillion);
      }
    }
  });
});

describe('costUsd', () => {
  it('charges input and output tokens at their own rates', () => {
    expect(
      costUsd(
        { inputUsdPerMillion: 2, outputUsdPerMillion: 8 },
        { promptTokens: 1_000, completionTokens: 500 },
      ),
    ).toBeCloseTo(0.006, 10);
  });
});
