/**
 * The IAM users and roles the console offers as key administrators and key users: those of the
 * signed-in principal's account in the identity configuration (users by their user ARN, role
 * sessions by their role's ARN, as key policies name them), plus any the key policy already names.
 */
import { describePrincipal, type PrincipalRow } from "./components.tsx";
import type { Vars } from "../vars.ts";
import { consoleIdentities } from "./session.ts";

export function accountPrincipals(env: Vars, accountId: string, alsoNamed: readonly string[] = []): PrincipalRow[] {
  const arns = new Set<string>();
  const account = consoleIdentities(env).accounts.find((a) => a.accountId === accountId);
  for (const p of account?.principals ?? []) {
    if (p.type === "IAMUser") arns.add(p.arn);
    if (p.type === "AssumedRole" && p.roleArn !== undefined) arns.add(p.roleArn);
  }
  for (const arn of alsoNamed) arns.add(arn);
  return [...arns].map(describePrincipal).sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
}
