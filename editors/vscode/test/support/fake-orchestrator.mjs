// A fake Stella orchestrator on 127.0.0.1 for the extension's tests: answers the routes the
// server calls in the shape of shared/api/stella-api.yaml and records every request.
import * as http from 'node:http';

/** The token the fake accepts. */
export const TOKEN = 'stl_TESTTOKEN';

const release = {
    id: 'rel-abc123',
    name: 'my-service',
    version: '1.2.0',
    status: 'ready',
    created_at: '2026-12-01T10:00:00Z',
    environments: ['development', 'staging'],
    components: [{ name: 'api', image: 'registry.example.com/my-service/api', tag: '1.2.0' }],
};

const olderRelease = {
    id: 'rel-old999',
    name: 'my-service',
    version: '1.1.0',
    status: 'deployed',
    created_at: '2026-11-20T09:00:00Z',
    environments: ['production'],
    components: [{ name: 'api', image: 'registry.example.com/my-service/api', tag: '1.1.0' }],
};

const environments = [
    {
        id: 'env-dev',
        name: 'development',
        promotion_order: 1,
        status: 'active',
        current_release_id: 'rel-abc123',
    },
    {
        id: 'env-stg',
        name: 'staging',
        promotion_order: 2,
        status: 'active',
        current_release_id: 'rel-abc123',
    },
    {
        id: 'env-prd',
        name: 'production',
        promotion_order: 3,
        status: 'frozen',
        frozen_until: '2026-12-31T18:00:00Z',
        freeze_reason: 'year-end freeze',
        current_release_id: 'rel-old999',
    },
];

const logLines = [
    {
        seq: 1,
        timestamp: '2026-12-04T10:00:00Z',
        level: 'info',
        step: 'pull',
        message: 'pulling images',
    },
    {
        seq: 2,
        timestamp: '2026-12-04T10:00:05Z',
        level: 'warn',
        step: 'rollout',
        message: 'one pod restarted',
    },
    {
        seq: 3,
        timestamp: '2026-12-04T10:00:09Z',
        level: 'info',
        step: 'rollout',
        message: 'rollout complete',
    },
];

/** Starts the fake on a free port; `requests` lists `{method, path, query, headers, body}`. */
export async function startFake() {
    const requests = [];
    const server = http.createServer((request, response) => {
        const chunks = [];
        request.on('data', (chunk) => chunks.push(chunk));
        request.on('end', () => {
            const url = new URL(request.url, 'http://127.0.0.1');
            const recorded = {
                method: request.method,
                path: url.pathname,
                query: Object.fromEntries(url.searchParams),
                headers: request.headers,
                body: Buffer.concat(chunks).toString('utf8'),
            };
            requests.push(recorded);
            const [status, body] = answer(recorded);
            const text = JSON.stringify(body);
            response.writeHead(status, {
                'Content-Type': 'application/json',
                'Content-Length': Buffer.byteLength(text),
            });
            response.end(text);
        });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address();
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
            new Promise((resolve) => {
                server.closeAllConnections();
                server.close(resolve);
            }),
    };
}

function error(status, code, message) {
    return [status, { error: { code, message } }];
}

function answer(request) {
    const { method, path, query } = request;
    if (method === 'GET' && path === '/api/v1/cli/version') {
        return [200, { server_version: '2.4.1', api_version: '1.0' }];
    }
    if (request.headers.authorization !== `Bearer ${TOKEN}`) {
        return error(401, 'unauthorized', 'missing or invalid token');
    }

    const body = () => JSON.parse(request.body);
    const route = `${method} ${path}`;
    switch (route) {
        case 'GET /api/v1/auth/whoami':
            return [200, { user: 'jane@example.com', organization: 'acme-corp' }];
        case 'GET /api/v1/environments':
            return [200, environments];
        case 'GET /api/v1/releases': {
            const all = [release, olderRelease].filter(
                (candidate) => query.name === undefined || candidate.name === query.name,
            );
            return [200, all.slice(0, Number(query.limit ?? 20))];
        }
        case 'POST /api/v1/releases': {
            const created = body();
            return [
                201,
                {
                    id: 'rel-new001',
                    name: created.name,
                    version: created.version,
                    status: 'draft',
                    created_at: '2026-12-04T10:00:00Z',
                    components: created.components,
                },
            ];
        }
        case 'POST /api/v1/promotions': {
            const promotion = body();
            return [
                201,
                {
                    id: 'pro-1',
                    release_id: promotion.release_id,
                    target_environment_id: promotion.target_environment_id,
                    status: 'pending_approval',
                },
            ];
        }
        case 'GET /api/v1/deployments':
            return [
                200,
                [
                    {
                        id: 'dep-7',
                        release_id: 'rel-abc123',
                        environment_id: 'env-stg',
                        strategy: 'rolling',
                        status: 'running',
                        started_at: '2026-12-04T10:00:00Z',
                    },
                ],
            ];
        case 'GET /api/v1/deployments/dep-7/logs': {
            // Two lines a page, so that a client has to page with `after`.
            const after = Number(query.after ?? 0);
            const lines = logLines.filter((line) => line.seq > after).slice(0, 2);
            const complete = lines.at(-1)?.seq === logLines.at(-1).seq;
            return [200, { complete, lines }];
        }
        case 'POST /api/v1/config/validate':
            return [200, { valid: true, errors: [] }];
        default:
            return error(404, 'not_found', `no route for ${method} ${path}`);
    }
}
