/**
 * The identity configuration this deployment authenticates against, shared by the HTTP app and
 * the service-binding entrypoint, parsed once per isolate (and again only if it changes).
 *
 * Fails closed: without EDGEKMS_IDENTITIES there are no credentials, and every request is refused
 * with UnrecognizedClientException (a 400, as AWS answers unknown credentials) whose message says
 * the deployment has no identity configuration. The public development identities (`test`/`test`
 * as an account root, alice, bob, ... in src/auth/identities.ts) are used only on explicit opt-in,
 * EDGEKMS_DEV_IDENTITIES = "true", which `npm start` and the test harnesses set; a configuration in
 * EDGEKMS_IDENTITIES always wins over the opt-in. Which of the three applies is logged once per
 * isolate, when it starts (worker/index.ts) and whenever the setting changes.
 */
import { loadIdentities, type Identities } from "../src/auth/identities.ts";
import { KmsError } from "../src/protocol/errors.ts";
import type { Vars } from "./vars.ts";

export type IdentitySource = "configured" | "development" | "missing";

let cache: { configured: string | undefined; development: string | undefined; identities: Identities | undefined } | undefined;

export function identitySource(env: Pick<Vars, "EDGEKMS_IDENTITIES" | "EDGEKMS_DEV_IDENTITIES">): IdentitySource {
  if (env.EDGEKMS_IDENTITIES !== undefined && env.EDGEKMS_IDENTITIES.trim() !== "") return "configured";
  return env.EDGEKMS_DEV_IDENTITIES === "true" ? "development" : "missing";
}

export function noIdentityConfiguration(): KmsError {
  return new KmsError(
    "UnrecognizedClientException",
    "This EdgeKMS deployment has no identity configuration, so it accepts no credentials: set EDGEKMS_IDENTITIES (or EDGEKMS_DEV_IDENTITIES=true for local development only).",
  );
}

/** Logs which identities this isolate uses: an error when none, a warning for the development ones. */
export function reportIdentityConfiguration(env: Pick<Vars, "EDGEKMS_IDENTITIES" | "EDGEKMS_DEV_IDENTITIES">): void {
  switch (identitySource(env)) {
    case "missing":
      console.error(
        "EdgeKMS: EDGEKMS_IDENTITIES is not set; every request will be refused (set it, or EDGEKMS_DEV_IDENTITIES=true for local development).",
      );
      return;
    case "development":
      console.warn("EdgeKMS: using the public development identities (EDGEKMS_DEV_IDENTITIES=true); never deploy with them.");
      return;
    case "configured":
      return;
  }
}

/**
 * The identities of this deployment.
 * @throws UnrecognizedClientException when there is no identity configuration and no opt-in;
 * IdentityConfigError (an opaque 500: the operator's mistake, logged) when EDGEKMS_IDENTITIES is invalid.
 */
export function identities(env: Pick<Vars, "EDGEKMS_IDENTITIES" | "EDGEKMS_DEV_IDENTITIES">): Identities {
  if (cache === undefined || cache.configured !== env.EDGEKMS_IDENTITIES || cache.development !== env.EDGEKMS_DEV_IDENTITIES) {
    const source = identitySource(env);
    const loaded = source === "missing" ? undefined : loadIdentities(source === "configured" ? env.EDGEKMS_IDENTITIES : undefined);
    if (cache !== undefined) reportIdentityConfiguration(env);
    cache = { configured: env.EDGEKMS_IDENTITIES, development: env.EDGEKMS_DEV_IDENTITIES, identities: loaded };
  }
  if (cache.identities === undefined) throw noIdentityConfiguration();
  return cache.identities;
}
