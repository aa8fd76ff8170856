const COPY = {
  heading: "Your recovery codes",
  intro:
    'Each code signs you in once if you cannot use your MFA device (choose MFA Device Type "Recovery Code"). Save them somewhere safe now: this is the only time they are shown.',
  download: "Download as a text file",
  file: "qualitynet-recovery-codes.txt",
};

/** Shown once, right after the codes are made; a data: link downloads them without script. */
export function RecoveryCodes({ codes, loginId }: { codes: string[]; loginId: string }) {
  const text = `QualityNet recovery codes for ${loginId}\nEach code works once.\n\n${codes.join("\n")}\n`;
  return (
    <section aria-labelledby="codes-heading" className="recovery-codes">
      <h2 id="codes-heading">{COPY.heading}</h2>
      <p>{COPY.intro}</p>
      <ol className="code-list">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <p>
        <a href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`} download={COPY.file}>
          {COPY.download}
        </a>
      </p>
    </section>
  );
}
