/** Raise when the text in app/routes/terms.tsx changes: everyone accepts again. */
export const TERMS_VERSION = "2026-11-01";
