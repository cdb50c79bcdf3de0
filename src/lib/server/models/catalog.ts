import fs from 'node:fs';
import { z } from 'zod';

/**
 * The model catalog: which OpenAI-compatible endpoints exist and which models the UI offers.
 * Comes from a JSON file (MODELS_CONFIG) or, for the one-endpoint case, from OPENAI_* variables.
 */

const providerSchema = z.object({
	id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _ only'),
	baseURL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
	apiKeyEnv: z.string().min(1).optional(),
	headers: z.record(z.string(), z.string()).optional()
});

const modelSchema = z.object({
	id: z.string().regex(/^[a-z0-9][a-z0-9._:-]*$/i, 'letters, digits, ., :, - and _ only'),
	label: z.string().min(1).max(80),
	provider: z.string().min(1),
	upstreamModel: z.string().min(1),
	contextWindow: z.number().int().min(512).default(8192),
	maxOutputTokens: z.number().int().positive().default(2048),
	default: z.boolean().default(false),
	description: z.string().max(300).optional(),
	/** Another model's id, used when this one fails before answering or is down. */
	fallback: z.string().min(1).optional()
});

const fileSchema = z
	.object({
		providers: z.array(providerSchema).min(1),
		models: z.array(modelSchema).min(1)
	})
	.superRefine((file, ctx) => {
		const providerIds = new Set(file.providers.map((p) => p.id));
		const seen = new Set<string>();
		file.models.forEach((m, i) => {
			if (!providerIds.has(m.provider)) {
				ctx.addIssue({
					code: 'custom',
					path: ['models', i, 'provider'],
					message: `unknown provider "${m.provider}" (known: ${[...providerIds].join(', ')})`
				});
			}
			if (seen.has(m.id)) {
				ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `duplicate model id "${m.id}"` });
			}
			seen.add(m.id);
		});
		const ids = new Set(file.models.map((m) => m.id));
		file.models.forEach((m, i) => {
			if (m.fallback && !ids.has(m.fallback)) {
				ctx.addIssue({ code: 'custom', path: ['models', i, 'fallback'], message: `unknown model "${m.fallback}"` });
			}
			if (m.fallback === m.id) ctx.addIssue({ code: 'custom', path: ['models', i, 'fallback'], message: 'a model cannot be its own fallback' });
		});
		if (file.models.filter((m) => m.default).length > 1) {
			ctx.addIssue({ code: 'custom', path: ['models'], message: 'only one model may have "default": true' });
		}
	});

export type ProviderConfig = z.infer<typeof providerSchema> & { apiKey: string | null };
export type ModelConfig = z.infer<typeof modelSchema>;

export interface ModelCatalog {
	providers: ProviderConfig[];
	models: ModelConfig[];
	defaultModelId: string | null;
	/** Where the catalog came from, for logs and the "no model" page. */
	source: 'file' | 'env' | 'none';
}

class ModelConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

function describeIssue(issue: z.core.$ZodIssue): string {
	const where = issue.path.length ? issue.path.join('.') : '(root)';
	return `${where}: ${issue.message}`;
}

export function loadModelCatalog(env: NodeJS.ProcessEnv): ModelCatalog {
	if (env.MODELS_CONFIG) return parseCatalogFile(env.MODELS_CONFIG, env);
	if (env.OPENAI_BASE_URL) return catalogFromEnv(env);
	return { providers: [], models: [], defaultModelId: null, source: 'none' };
}

export function parseCatalogFile(file: string, env: NodeJS.ProcessEnv): ModelCatalog {
	let raw: unknown;
	try {
		raw = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (err) {
		throw new ModelConfigError(`MODELS_CONFIG (${file}) cannot be read as JSON: ${(err as Error).message}`);
	}
	return buildCatalog(raw, env, `MODELS_CONFIG (${file})`, 'file');
}

function catalogFromEnv(env: NodeJS.ProcessEnv): ModelCatalog {
	const names = (env.OPENAI_MODELS ?? '')
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	if (names.length === 0) {
		throw new ModelConfigError('OPENAI_MODELS must list at least one model name when OPENAI_BASE_URL is set');
	}
	const contextWindow = env.OPENAI_CONTEXT_WINDOW ? Number(env.OPENAI_CONTEXT_WINDOW) : undefined;
	const raw = {
		providers: [{ id: 'default', baseURL: env.OPENAI_BASE_URL, apiKeyEnv: 'OPENAI_API_KEY' }],
		models: names.map((name, i) => ({
			id: name.replace(/[^a-z0-9._:-]/gi, '-'),
			label: name,
			provider: 'default',
			upstreamModel: name,
			contextWindow,
			default: i === 0
		}))
	};
	return buildCatalog(raw, env, 'OPENAI_* variables', 'env');
}

function buildCatalog(raw: unknown, env: NodeJS.ProcessEnv, origin: string, source: 'file' | 'env'): ModelCatalog {
	const parsed = fileSchema.safeParse(raw);
	if (!parsed.success) {
		throw new ModelConfigError(`Invalid model configuration in ${origin}: ${describeIssue(parsed.error.issues[0])}`);
	}
	const providers = parsed.data.providers.map((p) => ({
		...p,
		apiKey: p.apiKeyEnv ? (env[p.apiKeyEnv] ?? null) : null
	}));
	const models = parsed.data.models;
	const defaultModelId = (models.find((m) => m.default) ?? models[0]).id;
	return { providers, models, defaultModelId, source };
}
