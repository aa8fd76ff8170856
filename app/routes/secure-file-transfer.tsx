import type { MetaFunction } from "react-router";
import { LinkButton } from "~/components/ui";

const COPY = {
  title: "Secure File Transfer - CMS.gov | QualityNet",
  heading: "Secure File Transfer",
  text: "Secure File Transfer lets you send and receive files with CMS and its contractors. It is part of your QualityNet account: log in, then open it from My Account.",
  login: "Log In",
  back: "Back to Choose Your QualityNet Destination",
};

export const meta: MetaFunction = () => [{ title: COPY.title }];

export default function SecureFileTransfer() {
  return (
    <>
      <h1>{COPY.heading}</h1>
      <p className="lead">{COPY.text}</p>
      <p className="actions">
        <LinkButton to="/terms">{COPY.login}</LinkButton>
        <LinkButton to="/destination" variant="secondary">
          {COPY.back}
        </LinkButton>
      </p>
    </>
  );
}
