// What a front-end developer writes against the types openapi-typescript generates from
// /api/v1/openapi.json (./carekey.ts, made by tests/integration/test_generated_clients.py),
// with openapi-fetch as the client. `tsc --noEmit --strict` must accept it, and each line
// marked as an expected error must really be one: the codes are an enum, not any string.
import createClient from "openapi-fetch";

import type { components, operations, paths } from "./carekey";

type Schemas = components["schemas"];
export type ErrorCode = Schemas["ErrorCode"];
export type Session = Schemas["SessionOut"];
export type Factor = Schemas["FactorOut"];

const api = createClient<paths>({ baseUrl: "https://carekey.example", credentials: "include" });

function csrf(token: string): { "X-CSRFToken": string } {
  return { "X-CSRFToken": token };
}

function explain(code: ErrorCode): string {
  switch (code) {
    case "invalid_credentials":
      return "Email or password is incorrect.";
    case "too_many_attempts":
      return "Wait, then try again.";
    case "mfa_verification_failed":
      return "That code didn't work.";
    default:
      return code;
  }
}

export async function signInAndTurnOnTwoStep(
  email: string,
  password: string,
  token: string,
  codeFromApp: (secret: string) => string,
): Promise<string[]> {
  const current = await api.GET("/api/v1/session");
  if (current.error && current.error.error.code !== "not_authenticated") {
    throw new Error(current.error.error.message);
  }
  const signedIn = await api.POST("/api/v1/session", {
    body: { email, password },
    headers: csrf(token),
  });
  if (signedIn.error) {
    throw new Error(explain(signedIn.error.error.code));
  }
  const level: "aal1" | "aal2" = signedIn.data.next_level;
  if (level === "aal2") {
    return [];
  }
  const enrolled = await api.POST("/api/v1/mfa/factors", {
    body: { factor_type: "totp", friendly_name: "Phone" },
    headers: csrf(token),
  });
  if (enrolled.error) {
    throw new Error(explain(enrolled.error.error.code));
  }
  const secret: string = enrolled.data.totp.secret;
  const verified = await api.POST("/api/v1/mfa/factors/{factor_id}/verify", {
    params: { path: { factor_id: enrolled.data.id } },
    body: { code: codeFromApp(secret) },
    headers: csrf(token),
  });
  if (verified.error) {
    throw new Error(explain(verified.error.error.code));
  }
  const status: "unverified" | "verified" = verified.data.status;
  return status === "verified" ? (verified.data.recovery_codes ?? []) : [];
}

export async function lockAfterFiveMinutes(token: string): Promise<number> {
  const saved = await api.PUT("/api/v1/app-lock", {
    body: { enabled: true, timeout_minutes: 5, unlock_method: "password" },
    headers: csrf(token),
  });
  return saved.data?.timeout_minutes ?? 0;
}

export async function removeFactor(factor: Factor, token: string): Promise<boolean> {
  const removed = await api.DELETE("/api/v1/mfa/factors/{factor_id}", {
    params: { path: { factor_id: factor.id } },
    headers: csrf(token),
  });
  return removed.response.status === 204;
}

// Each operation is reachable by its short operationId.
type SignInBody = operations["signIn"]["requestBody"]["content"]["application/json"];
export const body: SignInBody = { email: "ana@example.org", password: "a long passphrase" };
export type VerifyFactorAnswer =
  operations["verifyFactor"]["responses"][200]["content"]["application/json"];
export type LockedAnswer = operations["listFactors"]["responses"][423]["content"]["application/json"];
export const locked: LockedAnswer["error"]["code"] = "session_locked";
// A 204 has no content at all.
export const noContent: operations["signOut"]["responses"][204]["content"] = undefined;

// The delays on offer are an enum (1, 2, 5, 10 and 15 at the default 30-minute sign-out).
export const five: Schemas["AppLockIn"]["timeout_minutes"] = 5;
// @ts-expect-error 3 minutes is not a delay on offer
export const three: Schemas["AppLockIn"]["timeout_minutes"] = 3;
// @ts-expect-error an error code is one of ErrorCode, not any string
export const teapot: ErrorCode = "teapot";
// @ts-expect-error the request body of signIn has no such field
export const extra: SignInBody = { email: "a", password: "b", remember: true };
