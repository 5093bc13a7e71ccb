/** The Hasura version the engine answers as (`/v1/version`, the webhook User-Agent). */
export const ENGINE_VERSION = 'v2.48.10';
