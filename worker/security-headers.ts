import type { MiddlewareHandler } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./types";

/**
 * Security headers for every response from the Worker.
 *
 * The Content-Security-Policy allows scripts only from this origin or carrying the
 * per-request nonce (React Router's inline hydration scripts get it through the load
 * context), no inline styles, nothing from other origins, and no framing.
 * HSTS is sent in production only: on http://localhost it would be ignored anyway,
 * and a developer's browser should not pin localhost to HTTPS.
 */
export function securityHeaders(options: { production: boolean }): MiddlewareHandler<AppEnv> {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", NONCE],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      ...(options.production ? { upgradeInsecureRequests: [] } : {}),
    },
    strictTransportSecurity: options.production ? "max-age=63072000; includeSubDomains; preload" : false,
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
    crossOriginOpenerPolicy: "same-origin",
    crossOriginResourcePolicy: "same-origin",
    permissionsPolicy: {
      camera: [],
      microphone: [],
      geolocation: [],
      payment: [],
      publickeyCredentialsGet: ["self"],
    },
  });
}
