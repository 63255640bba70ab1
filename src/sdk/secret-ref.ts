/**
 * A reference to a secret in a connector's options: an environment variable or a file. The SDK
 * owns this type (it is not the config schema's) so a config change cannot break third-party
 * connectors; the hub resolves it through `ConnectorDeps.resolveSecret`.
 */
export type SecretRef = { env: string } | { file: string };
