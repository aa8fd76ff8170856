import { z } from "zod";

/** Profile → Connected Applications: "Disconnect" one application (its Client ID). */
export const DisconnectApplicationSchema = z.object({
  intent: z.literal("disconnect"),
  clientId: z.string({ error: "Choose an application." }).trim().min(1, "Choose an application.").max(100),
});
