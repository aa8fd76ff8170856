import { Link } from "@remix-run/react";
import type { ReactNode } from "react";

const COPY = {
  skip: "Skip to main content",
  brandAgency: "CMS.gov",
  brandProduct: "QualityNet",
  agency: "Centers for Medicare & Medicaid Services",
  address: "7500 Security Boulevard, Baltimore, MD 21244",
  banner: "An official website of the United States government",
};

export function SiteShell({ children, nav }: { children: ReactNode; nav?: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        {COPY.skip}
      </a>
      <header className="site-header">
        <div className="usa-banner">
          <p className="container">{COPY.banner}</p>
        </div>
        <div className="container site-header__inner">
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
      <main id="main" tabIndex={-1} className="container site-main">
        {children}
      </main>
      <footer className="site-footer">
        <div className="container">
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
