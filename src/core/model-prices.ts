/**
 * What metered (cloud) models cost, in US dollars per million tokens, so the cost model can weigh
 * real money. Deliberately small: only prices we could cross-check, each list with its source and
 * date. Prices change; the owner's config will be able to override them, and a model missing here
 * has an unknown price (null), never a guessed one.
 */

export interface ModelPrice {
  readonly inputUsdPerMillion: number;
  readonly outputUsdPerMillion: number;
}

/** A model's price together with where it came from. */
export interface SourcedModelPrice extends ModelPrice {
  readonly source: string;
  /** Month the price was checked, `YYYY-MM`. */
  readonly asOf: string;
}

export interface ProviderPriceList {
  readonly provider: string;
  /** API host the prices apply to; a backend whose base URL has this host uses this list. */
  readonly host: string;
  readonly source: string;
  readonly asOf: string;
  readonly models: Readonly<Record<string, ModelPrice>>;
}

const price = (inputUsdPerMillion: number, outputUsdPerMillion: number): ModelPrice => ({
  inputUsdPerMillion,
  outputUsdPerMillion,
});

export const MODEL_PRICE_LISTS: readonly ProviderPriceList[] = [
  {
    provider: 'openai',
    host: 'api.openai.com',
    source:
      'OpenAI API pricing (https://openai.com/api/pricing), standard tier, no caching or batch discount; ' +
      'cross-checked against two independent price summaries',
    asOf: '2026-03',
    models: {
      'gpt-4.1': price(2, 8),
      'gpt-4.1-mini': price(0.4, 1.6),
      'gpt-4.1-nano': price(0.1, 0.4),
      'gpt-4o': price(2.5, 10),
      'gpt-4o-mini': price(0.15, 0.6),
      // Embeddings are billed on input only.
      'text-embedding-3-small': price(0.02, 0),
    },
  },
];

/** `gpt-4o-mini-2024-07-18` is priced like `gpt-4o-mini`. */
const DATED_SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

function hostOf(baseUrl: string): string | null {
  try {
    return new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * The known price of `model` at the provider behind `baseUrl`, or null. Matches the exact model id
 * or a dated snapshot of it; never a prefix (`gpt-4o` does not price `gpt-4o-mini`).
 */
export function findModelPrice(
  baseUrl: string,
  model: string,
  lists: readonly ProviderPriceList[] = MODEL_PRICE_LISTS,
): SourcedModelPrice | null {
  const host = hostOf(baseUrl);
  if (host === null) return null;
  const list = lists.find((l) => l.host === host);
  if (list === undefined) return null;
  const found = list.models[model] ?? list.models[model.replace(DATED_SNAPSHOT, '')];
  if (found === undefined) return null;
  return { ...found, source: list.source, asOf: list.asOf };
}

/** Dollars a call cost, from its token counts. */
export function costUsd(
  price: ModelPrice,
  usage: { readonly promptTokens: number; readonly completionTokens: number },
): number {
  return (
    (usage.promptTokens * price.inputUsdPerMillion + usage.completionTokens * price.outputUsdPerMillion) /
    1_000_000
  );
}
