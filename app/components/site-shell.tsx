import type { ReactNode } from "react";
import { Link } from "react-router";
import { BuildingCircleIcon, LockCircleIcon, LockIcon, UsaFlagIcon } from "./ds-icons";

const COPY = {
  skip: "Skip to main content",
  brandAgency: "CMS.gov",
  brandProduct: "QualityNet",
  agency: "Centers for Medicare & Medicaid Services",
  address: "7500 Security Boulevard, Baltimore, MD 21244",
  // The design system's USA banner (its en locale).
  banner: "An official website of the United States government",
  bannerAction: "Here's how you know",
  domainHeading: "Official websites use .gov",
  domainText: "website belongs to an official government organization in the United States.",
  httpsHeading: "Secure .gov websites use HTTPS",
  httpsText:
    "means you've safely connected to the .gov website. Share sensitive information only on official, secure websites.",
};

/**
 * The design system's USA banner. Its React component opens "Here's how you
 * know" with a script; here <details> does it, so it works without one. It
 * sits inside the page's header landmark rather than being a labelled region
 * of its own: a region named "…United States government" would also answer
 * to a search for a field labelled "State".
 */
function UsaBanner() {
  return (
    <div className="ds-c-usa-banner">
      <details className="usa-banner__details">
        <summary className="ds-c-usa-banner__header ds-u-font-size--sm">
          <UsaFlagIcon className="ds-c-usa-banner__header-icon" />
          <span className="ds-c-usa-banner__header-text">{COPY.banner}</span>
          <span className="ds-c-usa-banner__action">{COPY.bannerAction}</span>
        </summary>
        <div className="ds-c-usa-banner__guidance ds-u-leading--base ds-u-font-size--base">
          <div className="ds-c-usa-banner__guidance-container">
            <div className="ds-c-usa-banner__guidance-item">
              <BuildingCircleIcon className="ds-c-usa-banner__guidance-icon" />
              <p className="ds-c-usa-banner__guidance-text">
                <strong>{COPY.domainHeading}</strong>
                <br />A <strong>.gov</strong> {COPY.domainText}
              </p>
            </div>
            <div className="ds-c-usa-banner__guidance-item">
              <LockCircleIcon className="ds-c-usa-banner__guidance-icon" />
              <p className="ds-c-usa-banner__guidance-text">
                <strong>{COPY.httpsHeading}</strong>
                <br />A <strong>lock</strong> (<LockIcon className="ds-c-usa-banner__inline-lock-icon" />) or{" "}
                <strong>https://</strong> {COPY.httpsText}
              </p>
            </div>
          </div>
        </div>
      </details>
    </div>
  );
}

export function SiteShell({ children, nav }: { children: ReactNode; nav?: ReactNode }) {
  return (
    <>
      <a className="ds-c-skip-nav" href="#main">
        {COPY.skip}
      </a>
      <header className="site-header">
        <UsaBanner />
        <div className="ds-l-container site-header__inner">
          <Link to="/" className="site-brand" aria-label={`${COPY.brandAgency} | ${COPY.brandProduct} home`}>
            <span className="site-brand__agency">{COPY.brandAgency}</span>
            <span className="site-brand__divider" aria-hidden="true">
              |
            </span>
            <span className="site-brand__product">{COPY.brandProduct}</span>
          </Link>
          {nav}
        </div>
      </header>
      <main id="main" tabIndex={-1} className="ds-l-container ds-content site-main">
        {children}
      </main>
      <footer className="site-footer ds-base--inverse">
        <div className="ds-l-container">
          <p className="site-footer__agency">{COPY.agency}</p>
          <p>{COPY.address}</p>
          <ul className="site-footer__links">
            <li>
              <Link to="/terms">Terms and Conditions</Link>
            </li>
            <li>
              <Link to="/destination">Choose Your QualityNet Destination</Link>
            </li>
          </ul>
        </div>
      </footer>
    </>
  );
}
