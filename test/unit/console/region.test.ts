/**
 * The console's Region in its URLs (worker/console/region.ts): which Region a URL asks for, and
 * how a response carries it into redirects, links and GET forms.
 */
import { describe, expect, it } from "vitest";
import { carryRegion, consoleRegion, inRegion } from "../../../worker/console/region.ts";

const vars = { KMS_REGIONS: "us-east-1,us-west-2,eu-central-1", KMS_REGION: "us-east-1" };
const west = consoleRegion(vars, "us-west-2")!;

describe("the console's Region", () => {
  it("is the default Region when the URL names none, and unknown for a Region the deployment does not serve", () => {
    expect(consoleRegion(vars, undefined)).toEqual({
      region: "us-east-1",
      regions: ["us-east-1", "us-west-2", "eu-central-1"],
      defaultRegion: "us-east-1",
    });
    expect(west.region).toBe("us-west-2");
    expect(consoleRegion(vars, "ap-south-1")).toBeUndefined();
    expect(consoleRegion(vars, "US-WEST-2")).toBeUndefined();
  });

  it("is added to a redirect target, keeping its query and fragment", async () => {
    expect(inRegion("/console/keys/k?view=policy&done=policy#policy", "us-west-2")).toBe(
      "/console/keys/k?view=policy&done=policy&region=us-west-2#policy",
    );
    const res = await carryRegion(new Response(null, { status: 303, headers: { Location: "/console/keys/k?done=created" } }), west);
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/console/keys/k?done=created&region=us-west-2");
  });

  it("is added to every console link and form of a page, except URLs that name a Region and other sites' links", async () => {
    const html = [
      '<a href="/console/keys">a</a>',
      '<a href="/console/keys/k?tab=x&amp;y=1#grants">b</a>',
      '<form method="post" action="/console/keys/actions">',
      '<form method="get" action="/console/keys" role="search">',
      '<a href="/console/keys?region=us-east-1">c</a>',
      '<a href="https://docs.aws.amazon.com/kms/">d</a>',
      "<p>href=&quot;/console/keys&quot;</p>",
    ].join("");
    const res = await carryRegion(new Response(html, { headers: { "Content-Type": "text/html; charset=UTF-8" } }), west);
    expect(await res.text()).toBe(
      [
        '<a href="/console/keys?region=us-west-2">a</a>',
        '<a href="/console/keys/k?tab=x&amp;y=1&amp;region=us-west-2#grants">b</a>',
        '<form method="post" action="/console/keys/actions?region=us-west-2">',
        '<form method="get" action="/console/keys?region=us-west-2" role="search"><input type="hidden" name="region" value="us-west-2" />',
        '<a href="/console/keys?region=us-east-1">c</a>',
        '<a href="https://docs.aws.amazon.com/kms/">d</a>',
        "<p>href=&quot;/console/keys&quot;</p>",
      ].join(""),
    );
  });

  it("leaves responses in the default Region as they are", async () => {
    const res = new Response('<a href="/console/keys">a</a>', { headers: { "Content-Type": "text/html" } });
    expect(await carryRegion(res, consoleRegion(vars, undefined)!)).toBe(res);
  });
});
