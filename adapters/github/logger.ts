/** The subset of a pino logger the GitHub adapter uses. It logs call names and statuses, never bodies or tokens. */
export interface GithubLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentGithubLogger: GithubLogger = { info: () => undefined, warn: () => undefined };
