/** The built-in text's version: in force until a version is published in Administration. */
export const TERMS_VERSION = "2026-11-01";

/** The built-in Terms and Conditions (Markdown, see `~/lib/markdown`). */
export const BUILT_IN_TERMS_MD = [
  "You are accessing a U.S. Government information system, which includes this computer, this computer network, all computers connected to this network, and all devices and storage media attached to this network or to a computer on this network. This information system is provided for U.S. Government-authorized use only.",
  "Unauthorized or improper use of this system may result in disciplinary action, as well as civil and criminal penalties.",
  "By using this information system, you understand and consent to the following: you have no reasonable expectation of privacy regarding any communication or data transiting or stored on this information system. At any time, and for any lawful Government purpose, the government may monitor, intercept, and search and seize any communication or data transiting or stored on this information system.",
  "Any communication or data transiting or stored on this information system may be disclosed or used for any lawful Government purpose.",
  "You agree to keep your User ID, password and second factor to yourself, to report any suspected misuse to the help desk, and to request only the access your work requires.",
].join("\n\n");
