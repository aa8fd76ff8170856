import type { ReactNode } from "react";
import { formatDateUS, REQUEST_STATUS_LABELS, type RequestStatus } from "~/lib/access-request";
import { formatTime } from "~/lib/format";

const COPY = {
  status: "Status",
  program: "Program",
  organization: "Organization",
  role: "User Role",
  approver: "Approver",
  startDate: "Start Date",
  endDate: "End Date",
  notApplicable: "Not Applicable",
  submitted: "Submitted",
  decided: "Decided",
  reason: "Reason",
  additional: "User Request Additional Information",
  comments: "Comments",
};

export interface RequestDetailsData {
  status: RequestStatus;
  programName: string;
  organizationName: string;
  roleName: string;
  approverName: string;
  startDate: string | null;
  endDate: string | null;
  createdAt: Date | string;
  decidedAt: Date | string | null;
  decisionReason: string | null;
  additionalInfo: string;
  comments: string;
}

/**
 * An access request as a definition list: the rows the requester and the
 * approvers both see, after the `lead` rows each page puts first (Request ID
 * and User ID, or the requester). Optional rows are left out when empty,
 * unless `emptyAs` names what to show instead.
 */
export function RequestDetails({
  request: r,
  lead,
  approverLabel = COPY.approver,
  emptyAs,
}: {
  request: RequestDetailsData;
  lead: { term: string; value: ReactNode; className?: string }[];
  approverLabel?: string;
  emptyAs?: string;
}) {
  const optional: [string, ReactNode, string?][] = [
    [COPY.decided, r.decidedAt ? formatTime(new Date(r.decidedAt)) : null],
    [COPY.reason, r.decisionReason],
    [COPY.additional, r.additionalInfo || null, "prewrap"],
    [COPY.comments, r.comments || null, "prewrap"],
  ];
  return (
    <dl className="details-list">
      {lead.map((row) => (
        <Row key={row.term} term={row.term} className={row.className}>
          {row.value}
        </Row>
      ))}
      <Row term={COPY.status}>{REQUEST_STATUS_LABELS[r.status]}</Row>
      <Row term={COPY.program}>{r.programName}</Row>
      <Row term={COPY.organization}>{r.organizationName}</Row>
      <Row term={COPY.role}>{r.roleName}</Row>
      <Row term={approverLabel}>{r.approverName}</Row>
      <Row term={COPY.startDate}>{formatDateUS(r.startDate)}</Row>
      <Row term={COPY.endDate}>{r.endDate ? formatDateUS(r.endDate) : COPY.notApplicable}</Row>
      <Row term={COPY.submitted}>{formatTime(new Date(r.createdAt))}</Row>
      {optional.map(([term, value, className]) =>
        value || emptyAs ? (
          <Row key={term} term={term} className={className}>
            {value || emptyAs}
          </Row>
        ) : null,
      )}
    </dl>
  );
}

function Row({ term, className, children }: { term: string; className?: string; children: ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd className={className}>{children}</dd>
    </>
  );
}
