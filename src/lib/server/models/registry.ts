import type { ModelCatalog, ModelConfig } from './catalog';
import type { HealthStatus, ModelHealth } from './health';
import { UserError } from '../http/errors';
import type { ChatEndpoint } from './chat-stream';

/** Public description of a model, safe to send to the browser. */
export interface ModelInfo {
	id: string;
	label: string;
	description?: string;
	contextWindow: number;
	isDefault: boolean;
	health: HealthStatus;
	fallback?: string;
}

/** The configured models: which to use, how healthy they are, and where to reach them. */
export class ModelRegistry {
	constructor(
		private readonly catalog: ModelCatalog,
		private readonly health?: ModelHealth
	) {}

	get isEmpty(): boolean {
		return this.catalog.models.length === 0;
	}

	list(): ModelInfo[] {
		return this.catalog.models.map((m) => ({
			id: m.id,
			label: m.label,
			description: m.description,
			contextWindow: m.contextWindow,
			isDefault: m.id === this.catalog.defaultModelId,
			health: this.health?.status(m.id) ?? 'unknown',
			fallback: m.fallback
		}));
	}

	/** The model for a new conversation: the one asked for, unless it is down and has a fallback. */
	forNewConversation(requested: string | null | undefined): ModelConfig {
		const model = this.resolve(requested);
		if (model.fallback && this.health?.status(model.id) === 'down' && this.health.status(model.fallback) !== 'down') {
			return this.resolve(model.fallback);
		}
		return model;
	}

	has(id: string): boolean {
		return this.catalog.models.some((m) => m.id === id);
	}

	/** The configured model with that id, or the default one when the id is unknown or null. */
	resolve(id: string | null | undefined): ModelConfig {
		const model =
			this.catalog.models.find((m) => m.id === id) ??
			this.catalog.models.find((m) => m.id === this.catalog.defaultModelId);
		if (!model) {
			throw new UserError(503, 'No model is configured on this server: the operator must set MODELS_CONFIG or OPENAI_BASE_URL.', 'no_model');
		}
		return model;
	}

	/** Where to stream a model's answers from (the relay's own client, see chat-stream.ts). */
	endpoint(model: ModelConfig): ChatEndpoint {
		const provider = this.catalog.providers.find((p) => p.id === model.provider);
		if (!provider) throw new Error(`Provider ${model.provider} missing for model ${model.id}`);
		return { baseURL: provider.baseURL, apiKey: provider.apiKey, headers: provider.headers, model: model.upstreamModel };
	}
}
