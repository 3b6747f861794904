/**
 * The server's custom requests and their answers, mirroring `src/lsp/requests.rs` and
 * `src/orchestrator/api.rs` on the Rust side (the orchestrator's contract, field for field).
 */

import { RequestType, RequestType0 } from 'vscode-languageclient/node';

/** `stella/status`: from the server's cache; `reachable` is null until the first answer. */
export interface Status {
    context: string | null;
    server: string | null;
    signedInAs: string | null;
    organization: string | null;
    reachable: boolean | null;
    apiVersion: string | null;
    serverVersion: string | null;
    lastError: string | null;
    warnings: string[];
}

export interface ReleaseComponent {
    name: string;
    image: string;
    tag?: string;
    digest?: string;
}

export interface Release {
    id: string;
    name: string;
    version: string;
    status: string;
    created_at: string;
    source_ref?: string;
    environments: string[];
    labels?: Record<string, string>;
    components: ReleaseComponent[];
}

export interface Environment {
    id: string;
    name: string;
    promotion_order: number;
    status: string;
    frozen_until?: string;
    freeze_reason?: string;
    current_release_id?: string;
}

export interface Deployment {
    id: string;
    release_id: string;
    environment_id: string;
    strategy?: string;
    status: string;
    started_at?: string;
}

export interface LogLine {
    seq: number;
    timestamp: string;
    level?: string;
    step?: string;
    message: string;
}

/** One page of `stella/deploymentLogs`; pass `after` back for the next page. */
export interface LogPage {
    lines: LogLine[];
    complete: boolean;
    after: number | null;
}

export interface ReleasesParams {
    name?: string;
    env?: string;
    status?: string;
    limit?: number;
}

export interface DeploymentsParams {
    env?: string;
    limit?: number;
}

export interface LogsParams {
    id: string;
    after?: number;
}

export const status = new RequestType0<Status, void>('stella/status');
export const releases = new RequestType<ReleasesParams, Release[], void>('stella/releases');
export const environments = new RequestType0<Environment[], void>('stella/environments');
export const deployments = new RequestType<DeploymentsParams, Deployment[], void>(
    'stella/deployments',
);
export const deploymentLogs = new RequestType<LogsParams, LogPage, void>('stella/deploymentLogs');

/** The argument of `stella.createRelease`. */
export interface CreateReleaseArguments {
    uri: string;
    version?: string;
}

/** The argument of `stella.promote`. */
export interface PromoteArguments {
    uri: string;
    env: string;
    release?: string;
}
