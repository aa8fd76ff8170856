/**
 * Any fixed origin works as the base: only the result's origin is compared with
 * it, and only its path, query and fragment are returned. A reserved name, so it
 * can never be a real host.
 */
const REDIRECT_BASE = "https://portal.invalid";

/** How many layers of percent-encoding are peeled before giving up (`%25252F`…). */
const MAX_DECODE_DEPTH = 4;

/**
 * Every decoding of a value, from as-is to fully decoded; null if it is still
 * encoded after MAX_DECODE_DEPTH layers. Byte by byte and lenient (a stray `%`
 * stays as it is), like the most forgiving decoder a proxy or browser might
 * apply: the characters that matter here are all ASCII.
 */
function decodedLayers(value: string): string[] | null {
  const layers = [value];
  for (let i = 0; i < MAX_DECODE_DEPTH; i++) {
    const current = layers[layers.length - 1];
    const next = current.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === current) return layers;
    layers.push(next);
  }
  return null;
}

/** Control characters (C0 and DEL): browsers strip tabs and newlines from URLs, turning `/\t/host` into `//host`. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: this pattern exists to find control characters.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Only local paths: no open redirects (ASVS 5.1.5). The value is parsed as a URL
 * against a fixed origin and accepted only if it stays on that origin; its path,
 * query and fragment are returned. Because browsers and proxies disagree on
 * what `\`, tabs and encoded slashes mean, any of them — raw or percent-encoded
 * at any depth — is refused outright, as is `//` in the path.
 */
export function safeRedirectPath(value: FormDataEntryValue | string | null | undefined, fallback = "/welcome"): string {
  if (typeof value !== "string" || !value.startsWith("/") || value.length > 2048) return fallback;
  const layers = decodedLayers(value);
  if (!layers) return fallback;
  for (const layer of layers) {
    if (CONTROL_CHARACTER.test(layer) || layer.includes("\\")) return fallback;
    const path = layer.split(/[?#]/, 1)[0];
    if (path.includes("//")) return fallback;
  }
  let url: URL;
  try {
    url = new URL(value, REDIRECT_BASE);
  } catch {
    return fallback;
  }
  if (url.origin !== REDIRECT_BASE) return fallback;
  return url.pathname + url.search + url.hash;
}
