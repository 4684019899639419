/**
 * Running the real AWS CLI against a local worker: whether it is installed, and an environment
 * that uses the development root identity and nothing from the machine's own AWS configuration.
 */
import { execFileSync, spawnSync } from "node:child_process";

export const hasAwsCli = spawnSync("aws", ["--version"]).status === 0;

export const AWS_CLI_ENV = {
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_PAGER: "",
};

/** Runs `aws --endpoint-url <url> --output json <args>` and returns its standard output. */
export function awsCli(url: string, ...args: string[]): string {
  return execFileSync("aws", ["--endpoint-url", url, "--output", "json", ...args], {
    env: { ...process.env, ...AWS_CLI_ENV },
    encoding: "utf8",
  });
}

/** Runs a command that must fail and returns its standard error. */
export function awsCliFailure(url: string, ...args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync("aws", ["--endpoint-url", url, ...args], { env: { ...process.env, ...AWS_CLI_ENV }, encoding: "utf8" });
  return { status: result.status, stderr: result.stderr };
}
