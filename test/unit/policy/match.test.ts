/** The low-level matchers: wildcards, CIDR blocks, numbers and dates (src/policy/match.ts). */
import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr, parseDate, parseNumber, wildcardMatch } from "../../../src/policy/match.ts";

describe("wildcardMatch", () => {
  it.each([
    ["*", "", true],
    ["*", "anything", true],
    ["kms:*", "kms:Encrypt", true],
    ["kms:Create*", "kms:CreateGrant", true],
    ["kms:Create*", "kms:DescribeKey", false],
    ["kms:*Key", "kms:DescribeKey", true],
    ["kms:Re?ncrypt*", "kms:ReEncryptFrom", true],
    ["a*b*c", "aXXbYYc", true],
    ["a*b*c", "aXXbYY", false],
    ["?", "", false],
    ["ab", "abc", false],
  ])("matches %j against %j: %s", (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });

  it("ignores case when asked", () => {
    expect(wildcardMatch("KMS:encrypt", "kms:Encrypt")).toBe(false);
    expect(wildcardMatch("KMS:encrypt", "kms:Encrypt", true)).toBe(true);
  });

  it("stays fast on a pattern of many stars that cannot match", () => {
    const start = performance.now();
    expect(wildcardMatch("*a".repeat(200) + "b", "a".repeat(5000))).toBe(false);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe("CIDR blocks", () => {
  it.each([
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["0.0.0.0/0", "203.0.113.1", true],
    ["192.168.1.1/32", "192.168.1.1", true],
    ["192.168.1.1/32", "192.168.1.2", false],
    ["192.168.1.0/25", "192.168.1.127", true],
    ["192.168.1.0/25", "192.168.1.128", false],
    ["2001:db8::/32", "2001:0db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::", false],
    ["::1", "0:0:0:0:0:0:0:1", true],
    ["::ffff:10.0.0.0/104", "::ffff:10.9.9.9", true],
    ["fe80::/10", "febf::1", true],
    ["fe80::/10", "fec0::1", false],
    ["10.0.0.0/8", "not-an-ip", false],
    ["10.0.0.0/8", "10.0.0.256", false],
  ])("%s contains %s: %s", (block, address, expected) => {
    expect(cidrContains(parseCidr(block)!, address)).toBe(expected);
  });

  it.each(["10.0.0.0/33", "10.0.0/8", "1.2.3.4.5", "2001:db8::/129", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "10.0.0.0/", "abc"])(
    "rejects %j",
    (block) => {
      expect(parseCidr(block)).toBeUndefined();
    },
  );
});

describe("numbers and dates", () => {
  it.each([
    ["10", 10],
    ["-1.5", -1.5],
    ["1e3", 1000],
    [".5", 0.5],
  ])("reads the number %j", (text, n) => {
    expect(parseNumber(text)).toBe(n);
  });

  it.each(["", "ten", "0x10", "1,000", "NaN"])("rejects the number %j", (text) => {
    expect(parseNumber(text)).toBeUndefined();
  });

  it.each([
    ["2024-06-01T12:00:00Z", Date.UTC(2024, 5, 1, 12)],
    ["2024-06-01T14:00:00+02:00", Date.UTC(2024, 5, 1, 12)],
    ["2024-06-01T14:00:00+0200", Date.UTC(2024, 5, 1, 12)],
    ["2024-06-01T12:00:00", Date.UTC(2024, 5, 1, 12)],
    ["2024-06-01", Date.UTC(2024, 5, 1)],
    ["2024-06-01T12:00:00.250Z", Date.UTC(2024, 5, 1, 12, 0, 0, 250)],
    ["1717243200", Date.UTC(2024, 5, 1, 12)],
  ])("reads the date %j", (text, ms) => {
    expect(parseDate(text)).toBe(ms);
  });

  it.each(["yesterday", "2024-13-01", "06/01/2024", "2024-06-01 12:00:00"])("rejects the date %j", (text) => {
    expect(parseDate(text)).toBeUndefined();
  });
});
