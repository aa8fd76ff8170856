import { renderToReadableStream } from "react-dom/server";
import { type AppLoadContext, type EntryContext, ServerRouter } from "react-router";
import { NonceProvider } from "./components/nonce";
import { TraceIdProvider } from "./components/trace-id";
import { type RouteHandle, shipsScripts } from "./root";

/** How long React may stream before pending work is rejected (React Router reads this export). */
export const streamTimeout = 5_000;

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce;
  // React Router puts the nonce it is given on every <link> and inline script; a
  // page without scripts gets none, so its HTML is the same for everyone (and may
  // be kept in memory, worker/page-cache.ts).
  const { matches, loaderData } = routerContext.staticHandlerContext;
  const leaf = matches[matches.length - 1];
  const scripted = shipsScripts(
    leaf ? (routerContext.routeModules[leaf.route.id]?.handle as RouteHandle | undefined) : undefined,
    Boolean((loaderData.root as { user?: unknown } | undefined)?.user),
  );
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), streamTimeout + 1_000);
  const body = await renderToReadableStream(
    <NonceProvider value={nonce}>
      <TraceIdProvider value={loadContext.deps.traceId}>
        <ServerRouter context={routerContext} url={request.url} nonce={scripted ? nonce : undefined} />
      </TraceIdProvider>
    </NonceProvider>,
    {
      signal: controller.signal,
      nonce,
      onError(error: unknown) {
        if (!controller.signal.aborted) console.error(error);
        responseStatusCode = 500;
      },
    },
  );
  // Whole documents only: pages must be complete without JavaScript, and every
  // screen fits in one response.
  await body.allReady;
  clearTimeout(timeout);

  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  // Pages carry a per-request nonce and, once signed in, personal data.
  if (!responseHeaders.has("Cache-Control")) responseHeaders.set("Cache-Control", "no-store");
  return new Response(body, { headers: responseHeaders, status: responseStatusCode });
}
