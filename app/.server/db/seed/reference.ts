/**
 * Reference data for the seed: programs, organization types, roles and their
 * rules (SPEC 2.1, 2.5), and the states and territories.
 */

export const PROGRAMS = [
  { code: "ESRD-QRS", name: "End-Stage Renal Disease Quality Reporting System" },
  { code: "ASC-QR", name: "Ambulatory Surgical Center Quality Reporting Program" },
  { code: "PCH-QR", name: "PPS-Exempt Cancer Hospital Quality Reporting Program" },
  { code: "IQR", name: "Inpatient Hospital Quality Reporting Program" },
  { code: "IPF-QR", name: "Inpatient Psychiatric Facility Quality Reporting Program" },
  { code: "OQR", name: "Outpatient Hospital Quality Reporting Program" },
  { code: "PQRS", name: "Physician Quality Reporting System" },
  { code: "QIO", name: "Quality Improvement Organizations" },
  { code: "QBIC", name: "QIES Business Intelligence Center" },
  // Requested on "Request User Access"; not a login destination.
  { code: "QIES", name: "Quality Improvement and Evaluation System", isDestination: false },
] as const;

export const ORG_TYPES = [
  "QARM Org Security",
  "CMS",
  "Regional Office",
  "State Government",
  "Contractor",
  "Provider",
  "Vendor",
] as const;

export type OrgTypeName = (typeof ORG_TYPES)[number];

const QBIC_ORG_TYPES: OrgTypeName[] = ["CMS", "Regional Office", "State Government", "Contractor"];

export const ROLES: {
  code: string;
  name: string;
  program: string | null;
  description: string;
  isSecurityOfficial?: boolean;
  /** Decides first Security Officials and manual proofing for the program (all programs when granted without one). */
  isHelpDesk?: boolean;
  /** Administers reference data and users (SPEC 2.8). */
  isAdmin?: boolean;
  orgTypes: OrgTypeName[];
}[] = [
  {
    code: "OSO",
    name: "Organization Security Official",
    program: null,
    description: "Approves access requests for the organization and manages its users.",
    isSecurityOfficial: true,
    orgTypes: ["QARM Org Security"],
  },
  {
    code: "END_USER",
    name: "End User",
    program: null,
    description: "Submits and reviews quality data for the organization.",
    orgTypes: ["QARM Org Security", "Provider", "Vendor", "Contractor"],
  },
  {
    code: "HELP_DESK_APPROVER",
    name: "Help Desk Approver",
    program: null,
    description: "Approves the first Security Official of an organization for a program.",
    isHelpDesk: true,
    orgTypes: ["CMS", "Contractor"],
  },
  {
    code: "HELP_DESK_ADMINISTRATOR",
    name: "Help Desk Administrator",
    program: null,
    description:
      "Manages organizations, programs, roles and users; unlocks accounts and resets MFA after manual verification.",
    isAdmin: true,
    orgTypes: ["CMS"],
  },
  {
    code: "QBIC_REPORT_VIEWER",
    name: "QBIC Report Viewer",
    program: "QBIC",
    description: "Views QIES Business Intelligence Center reports.",
    orgTypes: QBIC_ORG_TYPES,
  },
  {
    code: "QBIC_ANALYST",
    name: "QBIC Analyst",
    program: "QBIC",
    description: "Builds and runs QIES Business Intelligence Center analyses.",
    orgTypes: QBIC_ORG_TYPES,
  },
  {
    code: "QBIC_ADMINISTRATOR",
    name: "QBIC Administrator",
    program: "QBIC",
    description: "Administers QIES Business Intelligence Center content.",
    orgTypes: QBIC_ORG_TYPES,
  },
];

export { STATES } from "../../../lib/states.ts";

/** Cities for generated providers: [city, state, ZIP]. */
export const CITIES: [string, string, string][] = [
  ["BIRMINGHAM", "AL", "35233"],
  ["MOBILE", "AL", "36604"],
  ["ANCHORAGE", "AK", "99508"],
  ["TUCSON", "AZ", "85719"],
  ["MESA", "AZ", "85201"],
  ["FAYETTEVILLE", "AR", "72701"],
  ["LOS ANGELES", "CA", "90033"],
  ["SAN DIEGO", "CA", "92103"],
  ["FRESNO", "CA", "93721"],
  ["OAKLAND", "CA", "94609"],
  ["RIVERSIDE", "CA", "92501"],
  ["AURORA", "CO", "80045"],
  ["COLORADO SPRINGS", "CO", "80909"],
  ["NEW HAVEN", "CT", "06510"],
  ["WILMINGTON", "DE", "19801"],
  ["MIAMI", "FL", "33136"],
  ["TAMPA", "FL", "33606"],
  ["ORLANDO", "FL", "32803"],
  ["JACKSONVILLE", "FL", "32209"],
  ["SAVANNAH", "GA", "31404"],
  ["AUGUSTA", "GA", "30912"],
  ["HILO", "HI", "96720"],
  ["POCATELLO", "ID", "83201"],
  ["CHICAGO", "IL", "60612"],
  ["PEORIA", "IL", "61603"],
  ["ROCKFORD", "IL", "61104"],
  ["FORT WAYNE", "IN", "46804"],
  ["EVANSVILLE", "IN", "47713"],
  ["CEDAR RAPIDS", "IA", "52403"],
  ["WICHITA", "KS", "67214"],
  ["LOUISVILLE", "KY", "40202"],
  ["LEXINGTON", "KY", "40536"],
  ["NEW ORLEANS", "LA", "70112"],
  ["SHREVEPORT", "LA", "71103"],
  ["PORTLAND", "ME", "04102"],
  ["BANGOR", "ME", "04401"],
  ["ROCKVILLE", "MD", "20850"],
  ["WORCESTER", "MA", "01655"],
  ["SPRINGFIELD", "MA", "01199"],
  ["DETROIT", "MI", "48201"],
  ["GRAND RAPIDS", "MI", "49503"],
  ["ANN ARBOR", "MI", "48109"],
  ["MINNEAPOLIS", "MN", "55415"],
  ["ROCHESTER", "MN", "55905"],
  ["DULUTH", "MN", "55805"],
  ["GULFPORT", "MS", "39501"],
  ["ST. LOUIS", "MO", "63110"],
  ["KANSAS CITY", "MO", "64108"],
  ["BILLINGS", "MT", "59101"],
  ["OMAHA", "NE", "68198"],
  ["LAS VEGAS", "NV", "89102"],
  ["RENO", "NV", "89502"],
  ["MANCHESTER", "NH", "03103"],
  ["NEWARK", "NJ", "07112"],
  ["CAMDEN", "NJ", "08103"],
  ["ALBUQUERQUE", "NM", "87106"],
  ["BUFFALO", "NY", "14203"],
  ["ROCHESTER", "NY", "14642"],
  ["SYRACUSE", "NY", "13210"],
  ["BROOKLYN", "NY", "11203"],
  ["CHARLOTTE", "NC", "28203"],
  ["DURHAM", "NC", "27710"],
  ["GREENSBORO", "NC", "27401"],
  ["FARGO", "ND", "58122"],
  ["CLEVELAND", "OH", "44106"],
  ["CINCINNATI", "OH", "45219"],
  ["DAYTON", "OH", "45409"],
  ["TOLEDO", "OH", "43614"],
  ["AKRON", "OH", "44304"],
  ["YOUNGSTOWN", "OH", "44501"],
  ["TULSA", "OK", "74104"],
  ["EUGENE", "OR", "97401"],
  ["PORTLAND", "OR", "97239"],
  ["PITTSBURGH", "PA", "15213"],
  ["ALLENTOWN", "PA", "18103"],
  ["ERIE", "PA", "16550"],
  ["SCRANTON", "PA", "18510"],
  ["PONCE", "PR", "00716"],
  ["WARWICK", "RI", "02886"],
  ["CHARLESTON", "SC", "29425"],
  ["GREENVILLE", "SC", "29605"],
  ["SIOUX FALLS", "SD", "57105"],
  ["MEMPHIS", "TN", "38103"],
  ["KNOXVILLE", "TN", "37920"],
  ["CHATTANOOGA", "TN", "37403"],
  ["HOUSTON", "TX", "77030"],
  ["DALLAS", "TX", "75235"],
  ["SAN ANTONIO", "TX", "78229"],
  ["EL PASO", "TX", "79905"],
  ["LUBBOCK", "TX", "79430"],
  ["FORT WORTH", "TX", "76104"],
  ["PROVO", "UT", "84604"],
  ["OGDEN", "UT", "84403"],
  ["BURLINGTON", "VT", "05401"],
  ["NORFOLK", "VA", "23507"],
  ["ROANOKE", "VA", "24014"],
  ["SPOKANE", "WA", "99204"],
  ["TACOMA", "WA", "98405"],
  ["MORGANTOWN", "WV", "26506"],
  ["HUNTINGTON", "WV", "25701"],
  ["MILWAUKEE", "WI", "53226"],
  ["GREEN BAY", "WI", "54301"],
  ["CASPER", "WY", "82601"],
  ["TAMUNING", "GU", "96913"],
  ["COLUMBUS", "OH", "43210"],
];
