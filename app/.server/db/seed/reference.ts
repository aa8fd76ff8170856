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
    orgTypes: ["CMS", "Contractor"],
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

/** [postal code, name, SSA state code used in CCNs, capital, capital ZIP] */
export const STATES: [string, string, string, string, string][] = [
  ["AL", "ALABAMA", "01", "MONTGOMERY", "36104"],
  ["AK", "ALASKA", "02", "JUNEAU", "99801"],
  ["AZ", "ARIZONA", "03", "PHOENIX", "85007"],
  ["AR", "ARKANSAS", "04", "LITTLE ROCK", "72201"],
  ["CA", "CALIFORNIA", "05", "SACRAMENTO", "95814"],
  ["CO", "COLORADO", "06", "DENVER", "80203"],
  ["CT", "CONNECTICUT", "07", "HARTFORD", "06106"],
  ["DE", "DELAWARE", "08", "DOVER", "19901"],
  ["DC", "DISTRICT OF COLUMBIA", "09", "WASHINGTON", "20001"],
  ["FL", "FLORIDA", "10", "TALLAHASSEE", "32301"],
  ["GA", "GEORGIA", "11", "ATLANTA", "30303"],
  ["HI", "HAWAII", "12", "HONOLULU", "96813"],
  ["ID", "IDAHO", "13", "BOISE", "83702"],
  ["IL", "ILLINOIS", "14", "SPRINGFIELD", "62701"],
  ["IN", "INDIANA", "15", "INDIANAPOLIS", "46204"],
  ["IA", "IOWA", "16", "DES MOINES", "50319"],
  ["KS", "KANSAS", "17", "TOPEKA", "66612"],
  ["KY", "KENTUCKY", "18", "FRANKFORT", "40601"],
  ["LA", "LOUISIANA", "19", "BATON ROUGE", "70802"],
  ["ME", "MAINE", "20", "AUGUSTA", "04333"],
  ["MD", "MARYLAND", "21", "BALTIMORE", "21201"],
  ["MA", "MASSACHUSETTS", "22", "BOSTON", "02108"],
  ["MI", "MICHIGAN", "23", "LANSING", "48933"],
  ["MN", "MINNESOTA", "24", "SAINT PAUL", "55155"],
  ["MS", "MISSISSIPPI", "25", "JACKSON", "39201"],
  ["MO", "MISSOURI", "26", "JEFFERSON CITY", "65101"],
  ["MT", "MONTANA", "27", "HELENA", "59601"],
  ["NE", "NEBRASKA", "28", "LINCOLN", "68508"],
  ["NV", "NEVADA", "29", "CARSON CITY", "89701"],
  ["NH", "NEW HAMPSHIRE", "30", "CONCORD", "03301"],
  ["NJ", "NEW JERSEY", "31", "TRENTON", "08608"],
  ["NM", "NEW MEXICO", "32", "SANTA FE", "87505"],
  ["NY", "NEW YORK", "33", "ALBANY", "12237"],
  ["NC", "NORTH CAROLINA", "34", "RALEIGH", "27603"],
  ["ND", "NORTH DAKOTA", "35", "BISMARCK", "58505"],
  ["OH", "OHIO", "36", "COLUMBUS", "43215"],
  ["OK", "OKLAHOMA", "37", "OKLAHOMA CITY", "73105"],
  ["OR", "OREGON", "38", "SALEM", "97301"],
  ["PA", "PENNSYLVANIA", "39", "HARRISBURG", "17120"],
  ["PR", "PUERTO RICO", "40", "SAN JUAN", "00901"],
  ["RI", "RHODE ISLAND", "41", "PROVIDENCE", "02903"],
  ["SC", "SOUTH CAROLINA", "42", "COLUMBIA", "29201"],
  ["SD", "SOUTH DAKOTA", "43", "PIERRE", "57501"],
  ["TN", "TENNESSEE", "44", "NASHVILLE", "37243"],
  ["TX", "TEXAS", "45", "AUSTIN", "78701"],
  ["UT", "UTAH", "46", "SALT LAKE CITY", "84114"],
  ["VT", "VERMONT", "47", "MONTPELIER", "05602"],
  ["VI", "VIRGIN ISLANDS", "48", "CHARLOTTE AMALIE", "00802"],
  ["VA", "VIRGINIA", "49", "RICHMOND", "23219"],
  ["WA", "WASHINGTON", "50", "OLYMPIA", "98504"],
  ["WV", "WEST VIRGINIA", "51", "CHARLESTON", "25301"],
  ["WI", "WISCONSIN", "52", "MADISON", "53703"],
  ["WY", "WYOMING", "53", "CHEYENNE", "82002"],
  ["GU", "GUAM", "65", "HAGATNA", "96910"],
  ["AS", "AMERICAN SAMOA", "64", "PAGO PAGO", "96799"],
  ["MP", "NORTHERN MARIANA ISLANDS", "66", "SAIPAN", "96950"],
];

/** Cities for generated providers: [city, state, ZIP]. */
export const CITIES: [string, string, string][] = [
  ["BIRMINGHAM", "AL", "35233"], ["MOBILE", "AL", "36604"], ["ANCHORAGE", "AK", "99508"],
  ["TUCSON", "AZ", "85719"], ["MESA", "AZ", "85201"], ["FAYETTEVILLE", "AR", "72701"],
  ["LOS ANGELES", "CA", "90033"], ["SAN DIEGO", "CA", "92103"], ["FRESNO", "CA", "93721"],
  ["OAKLAND", "CA", "94609"], ["RIVERSIDE", "CA", "92501"], ["AURORA", "CO", "80045"],
  ["COLORADO SPRINGS", "CO", "80909"], ["NEW HAVEN", "CT", "06510"], ["WILMINGTON", "DE", "19801"],
  ["MIAMI", "FL", "33136"], ["TAMPA", "FL", "33606"], ["ORLANDO", "FL", "32803"],
  ["JACKSONVILLE", "FL", "32209"], ["SAVANNAH", "GA", "31404"], ["AUGUSTA", "GA", "30912"],
  ["HILO", "HI", "96720"], ["POCATELLO", "ID", "83201"], ["CHICAGO", "IL", "60612"],
  ["PEORIA", "IL", "61603"], ["ROCKFORD", "IL", "61104"], ["FORT WAYNE", "IN", "46804"],
  ["EVANSVILLE", "IN", "47713"], ["CEDAR RAPIDS", "IA", "52403"], ["WICHITA", "KS", "67214"],
  ["LOUISVILLE", "KY", "40202"], ["LEXINGTON", "KY", "40536"], ["NEW ORLEANS", "LA", "70112"],
  ["SHREVEPORT", "LA", "71103"], ["PORTLAND", "ME", "04102"], ["BANGOR", "ME", "04401"],
  ["ROCKVILLE", "MD", "20850"], ["WORCESTER", "MA", "01655"], ["SPRINGFIELD", "MA", "01199"],
  ["DETROIT", "MI", "48201"], ["GRAND RAPIDS", "MI", "49503"], ["ANN ARBOR", "MI", "48109"],
  ["MINNEAPOLIS", "MN", "55415"], ["ROCHESTER", "MN", "55905"], ["DULUTH", "MN", "55805"],
  ["GULFPORT", "MS", "39501"], ["ST. LOUIS", "MO", "63110"], ["KANSAS CITY", "MO", "64108"],
  ["BILLINGS", "MT", "59101"], ["OMAHA", "NE", "68198"], ["LAS VEGAS", "NV", "89102"],
  ["RENO", "NV", "89502"], ["MANCHESTER", "NH", "03103"], ["NEWARK", "NJ", "07112"],
  ["CAMDEN", "NJ", "08103"], ["ALBUQUERQUE", "NM", "87106"], ["BUFFALO", "NY", "14203"],
  ["ROCHESTER", "NY", "14642"], ["SYRACUSE", "NY", "13210"], ["BROOKLYN", "NY", "11203"],
  ["CHARLOTTE", "NC", "28203"], ["DURHAM", "NC", "27710"], ["GREENSBORO", "NC", "27401"],
  ["FARGO", "ND", "58122"], ["CLEVELAND", "OH", "44106"], ["CINCINNATI", "OH", "45219"],
  ["DAYTON", "OH", "45409"], ["TOLEDO", "OH", "43614"], ["AKRON", "OH", "44304"],
  ["YOUNGSTOWN", "OH", "44501"], ["TULSA", "OK", "74104"], ["EUGENE", "OR", "97401"],
  ["PORTLAND", "OR", "97239"], ["PITTSBURGH", "PA", "15213"], ["ALLENTOWN", "PA", "18103"],
  ["ERIE", "PA", "16550"], ["SCRANTON", "PA", "18510"], ["PONCE", "PR", "00716"],
  ["WARWICK", "RI", "02886"], ["CHARLESTON", "SC", "29425"], ["GREENVILLE", "SC", "29605"],
  ["SIOUX FALLS", "SD", "57105"], ["MEMPHIS", "TN", "38103"], ["KNOXVILLE", "TN", "37920"],
  ["CHATTANOOGA", "TN", "37403"], ["HOUSTON", "TX", "77030"], ["DALLAS", "TX", "75235"],
  ["SAN ANTONIO", "TX", "78229"], ["EL PASO", "TX", "79905"], ["LUBBOCK", "TX", "79430"],
  ["FORT WORTH", "TX", "76104"], ["PROVO", "UT", "84604"], ["OGDEN", "UT", "84403"],
  ["BURLINGTON", "VT", "05401"], ["NORFOLK", "VA", "23507"], ["ROANOKE", "VA", "24014"],
  ["SPOKANE", "WA", "99204"], ["TACOMA", "WA", "98405"], ["MORGANTOWN", "WV", "26506"],
  ["HUNTINGTON", "WV", "25701"], ["MILWAUKEE", "WI", "53226"], ["GREEN BAY", "WI", "54301"],
  ["CASPER", "WY", "82601"], ["TAMUNING", "GU", "96913"], ["COLUMBUS", "OH", "43210"],
];
