/**
 * The release explorer: the orchestrator's releases, newest first (`stella/releases`),
 * each opening onto the environments in promotion order (`stella/environments`) with
 * whether the release is deployed there.
 */

import * as vscode from 'vscode';

import { Ctx } from './ctx';
import * as ext from './lsp_ext';

/** How many releases the tree asks for. */
const RELEASE_LIMIT = 20;

export type Node =
    | { kind: 'release'; release: ext.Release }
    | { kind: 'environment'; release: ext.Release; environment: ext.Environment }
    | { kind: 'note'; text: string };

export class ReleaseTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
    private readonly changed = new vscode.EventEmitter<Node | undefined>();
    readonly onDidChangeTreeData = this.changed.event;
    private readonly subscription: vscode.Disposable;

    constructor(private readonly ctx: Ctx) {
        this.subscription = ctx.onDidChangeClient(() => this.refresh());
    }

    refresh(): void {
        this.changed.fire(undefined);
    }

    async getChildren(node?: Node): Promise<Node[]> {
        const client = this.ctx.running();
        if (client === undefined) {
            return [{ kind: 'note', text: 'The Stella server is not running' }];
        }

        try {
            if (node === undefined) {
                const releases = await client.sendRequest(ext.releases, { limit: RELEASE_LIMIT });
                if (releases.length === 0) {
                    return [{ kind: 'note', text: 'No releases yet' }];
                }
                return releases.map((release) => ({ kind: 'release', release }));
            }
            if (node.kind === 'release') {
                const environments = await client.sendRequest(ext.environments);
                return environments.map((environment) => ({
                    kind: 'environment',
                    release: node.release,
                    environment,
                }));
            }
            return [];
        } catch (error) {
            return [{ kind: 'note', text: errorText(error) }];
        }
    }

    getTreeItem(node: Node): vscode.TreeItem {
        return treeItem(node);
    }

    dispose(): void {
        this.subscription.dispose();
        this.changed.dispose();
    }
}

/** How a node is drawn. */
export function treeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
        case 'release': {
            const { release } = node;
            const item = new vscode.TreeItem(
                `${release.name} ${release.version}`,
                vscode.TreeItemCollapsibleState.Collapsed,
            );
            item.id = release.id;
            item.description = release.status;
            item.tooltip = [
                release.id,
                `created ${release.created_at}`,
                ...release.components.map(
                    (component) =>
                        `${component.name}: ${component.image}${component.tag === undefined ? '' : `:${component.tag}`}`,
                ),
            ].join('\n');
            item.contextValue = 'release';
            return item;
        }
        case 'environment': {
            const { release, environment } = node;
            const item = new vscode.TreeItem(
                environment.name,
                vscode.TreeItemCollapsibleState.None,
            );
            item.id = `${release.id}/${environment.id}`;
            item.description = environmentDescription(release, environment);
            item.contextValue = 'environment';
            return item;
        }
        case 'note':
            return new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
    }
}

/** "current", "deployed", "frozen" or nothing, for one release in one environment. */
function environmentDescription(release: ext.Release, environment: ext.Environment): string {
    const parts: string[] = [];
    if (environment.current_release_id === release.id) {
        parts.push('current');
    } else if (release.environments.includes(environment.name)) {
        parts.push('deployed');
    }
    if (environment.status === 'frozen') {
        parts.push('frozen');
    }
    return parts.join(', ');
}

/** The message of a failed request (the server's one sentence). */
export function errorText(error: unknown): string {
    if (error instanceof Error) {
        return error.message;
    }
    return String(error);
}
