/**
 * Bundle-time stand-in for the `whatwg-url` package (esbuild alias `whatwg-url` → this file).
 * mongodb-connection-string-url imports URL and URLSearchParams from it; Node's built-in classes
 * implement the same WHATWG URL standard, so the package and its 240 kB of IDNA tables (tr46) need
 * not ship in the Lambda bundle. Only the two classes the driver uses are provided.
 */
export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;
