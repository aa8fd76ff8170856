/** Who is asking, as the door saw the request: for audit events, throttling and "new device" alerts. */
export interface Client {
  ip: string | null;
  userAgent: string | null;
  location: string | null;
  deviceToken: string | null;
}
