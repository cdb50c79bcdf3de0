/**
 * Deterministic generator of realistic French text (the vocabulary of an administration's
 * everyday questions) from word lists and sentence templates. Words are drawn with a Zipf-like
 * distribution, so full-text search meets common words (thousands of hits), medium ones and
 * rare ones, like in real conversations.
 */

/** Small fast seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

// Nouns, ordered roughly from most to least frequent (the order drives the Zipf weights).
export const NOUNS = [
	'demande', 'dossier', 'service', 'agent', 'document', 'délai', 'procédure', 'usager', 'administration', 'courrier',
	'formulaire', 'décision', 'réponse', 'rapport', 'budget', 'projet', 'réunion', 'note', 'texte', 'règle',
	'préfecture', 'mairie', 'commune', 'département', 'région', 'ministère', 'direction', 'bureau', 'équipe', 'responsable',
	'subvention', 'marché', 'contrat', 'convention', 'facture', 'paiement', 'dépense', 'crédit', 'recette', 'compte',
	'arrêté', 'décret', 'circulaire', 'loi', 'article', 'alinéa', 'code', 'jurisprudence', 'avis', 'recours',
	'titre', 'permis', 'autorisation', 'déclaration', 'attestation', 'justificatif', 'pièce', 'signature', 'tampon', 'copie',
	'citoyen', 'entreprise', 'association', 'collectivité', 'établissement', 'école', 'hôpital', 'tribunal', 'caisse', 'agence',
	'logement', 'emploi', 'formation', 'retraite', 'santé', 'transport', 'environnement', 'énergie', 'numérique', 'sécurité',
	'calendrier', 'échéance', 'instruction', 'vérification', 'contrôle', 'audit', 'évaluation', 'synthèse', 'tableau', 'indicateur',
	'courriel', 'messagerie', 'plateforme', 'application', 'logiciel', 'serveur', 'données', 'fichier', 'archive', 'registre',
	'concertation', 'consultation', 'enquête', 'délibération', 'commission', 'conseil', 'assemblée', 'séance', 'vote', 'quorum',
	'carte', 'passeport', 'naturalisation', 'visa', 'séjour', 'domiciliation', 'résidence', 'état civil', 'acte', 'mention',
	'fonctionnaire', 'contractuel', 'stagiaire', 'concours', 'mutation', 'avancement', 'grade', 'échelon', 'indemnité', 'prime',
	'marché public', 'appel d’offres', 'cahier des charges', 'candidature', 'attribution', 'notification', 'avenant', 'pénalité', 'garantie', 'litige',
	'urbanisme', 'cadastre', 'parcelle', 'zonage', 'voirie', 'assainissement', 'déchets', 'biodiversité', 'inondation', 'sécheresse',
	'accessibilité', 'handicap', 'allocation', 'prestation', 'aide sociale', 'insertion', 'hébergement', 'tutelle', 'curatelle', 'protection',
	'télétravail', 'astreinte', 'congé', 'absence', 'arrêt maladie', 'médecine du travail', 'prévention', 'risque', 'accident', 'déclaration préalable'
];

export const ADJECTIVES = [
	'administratif', 'public', 'nouveau', 'complet', 'urgent', 'régional', 'départemental', 'municipal', 'national', 'européen',
	'réglementaire', 'juridique', 'financier', 'budgétaire', 'technique', 'numérique', 'officiel', 'préalable', 'annuel', 'mensuel',
	'provisoire', 'définitif', 'incomplet', 'conforme', 'dématérialisé', 'confidentiel', 'prioritaire', 'exceptionnel', 'ordinaire', 'interministériel'
];

export const VERBS = [
	'déposer', 'instruire', 'vérifier', 'transmettre', 'signer', 'valider', 'rédiger', 'préparer', 'envoyer', 'consulter',
	'publier', 'modifier', 'annuler', 'contester', 'renouveler', 'simplifier', 'accélérer', 'organiser', 'financer', 'évaluer',
	'archiver', 'numériser', 'notifier', 'recevoir', 'compléter', 'relancer', 'motiver', 'justifier', 'calculer', 'planifier'
];

const DETS = ['le', 'la', 'un', 'une', 'ce', 'cette', 'notre', 'votre', 'chaque', 'tout'];
const PLACES = ['Lyon', 'Marseille', 'Toulouse', 'Rennes', 'Lille', 'Bordeaux', 'Nantes', 'Strasbourg', 'Dijon', 'Limoges', 'Besançon', 'Ajaccio'];
const CONNECTORS = ['Par ailleurs,', 'En outre,', 'Cependant,', 'Ainsi,', 'De plus,', 'En pratique,', 'Toutefois,', 'Enfin,', 'Dans ce cas,', 'À noter :'];

/** Zipf-like index in [0, n): weight of rank r ∝ 1 / (r + 1)^s. */
function zipfPicker(n: number, s = 1.05): (r: () => number) => number {
	const cdf = new Float64Array(n);
	let sum = 0;
	for (let i = 0; i < n; i++) {
		sum += 1 / Math.pow(i + 1, s);
		cdf[i] = sum;
	}
	for (let i = 0; i < n; i++) cdf[i]! /= sum;
	return (r) => {
		const x = r();
		let lo = 0;
		let hi = n - 1;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (cdf[mid]! < x) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	};
}

const pickNoun = zipfPicker(NOUNS.length);
const pickAdj = zipfPicker(ADJECTIVES.length);
const pickVerb = zipfPicker(VERBS.length);

function plural(word: string): string {
	if (word.includes(' ')) {
		const [head, ...rest] = word.split(' ');
		return [plural(head!), ...rest].join(' ');
	}
	if (/[sxz]$/.test(word)) return word;
	if (word.endsWith('al')) return word.slice(0, -2) + 'aux';
	if (word.endsWith('eau')) return word + 'x';
	return word + 's';
}

export class FrenchText {
	readonly r: () => number;
	constructor(seed: number) {
		this.r = rng(seed);
	}
	int(min: number, max: number): number {
		return min + Math.floor(this.r() * (max - min + 1));
	}
	pick<T>(list: readonly T[]): T {
		return list[Math.floor(this.r() * list.length)]!;
	}
	noun(): string {
		const n = NOUNS[pickNoun(this.r)]!;
		return this.r() < 0.25 ? plural(n) : n;
	}
	adj(): string {
		const a = ADJECTIVES[pickAdj(this.r)]!;
		return this.r() < 0.2 ? plural(a) : a;
	}
	verb(): string {
		return VERBS[pickVerb(this.r)]!;
	}
	group(): string {
		return `${this.pick(DETS)} ${this.noun()}${this.r() < 0.5 ? ' ' + this.adj() : ''}`;
	}
	sentence(): string {
		const t = this.int(0, 9);
		const s = (() => {
			switch (t) {
				case 0:
					return `Il faut ${this.verb()} ${this.group()} avant ${this.group()}.`;
				case 1:
					return `${cap(this.group())} doit être ${participle(this.verb())} par ${this.group()} dans un délai de ${this.int(2, 60)} jours.`;
				case 2:
					return `Pour ${this.verb()} ${this.group()}, vous pouvez contacter ${this.group()} de ${this.pick(PLACES)}.`;
				case 3:
					return `${this.pick(CONNECTORS)} ${this.group()} précise les conditions applicables à ${this.group()}.`;
				case 4:
					return `Selon l’article ${this.int(1, 400)} du code, ${this.group()} peut ${this.verb()} ${this.group()}.`;
				case 5:
					return `Le montant de ${this.group()} s’élève à ${this.int(100, 90000).toLocaleString('fr-FR')} euros pour ${this.int(2021, 2026)}.`;
				case 6:
					return `${cap(this.group())} et ${this.group()} sont ${plural(participle(this.verb()))} chaque année.`;
				case 7:
					return `Je vous recommande de ${this.verb()} ${this.group()} puis de ${this.verb()} ${this.group()}.`;
				case 8:
					return `${cap(this.group())} reste ${this.adj()} tant que ${this.group()} n’est pas ${participle(this.verb())}.`;
				default:
					return `En cas de doute, ${this.group()} peut ${this.verb()} ${this.group()} sur la plateforme.`;
			}
		})();
		return s;
	}
	paragraph(sentences: number): string {
		return Array.from({ length: sentences }, () => this.sentence()).join(' ');
	}
	/** A question a public servant would ask (10–40 words). */
	question(): string {
		const t = this.int(0, 4);
		switch (t) {
			case 0:
				return `Comment ${this.verb()} ${this.group()} quand ${this.group()} est ${this.adj()} ?`;
			case 1:
				return `Peux-tu m’aider à ${this.verb()} ${this.group()} pour ${this.group()} de ${this.pick(PLACES)} ? ${this.sentence()}`;
			case 2:
				return `Quel est le délai pour ${this.verb()} ${this.group()} ? ${this.sentence()}`;
			case 3:
				return `Rédige une note sur ${this.group()} et ${this.group()}, en tenant compte de ${this.group()}.`;
			default:
				return `${this.sentence()} Que dois-je faire pour ${this.verb()} ${this.group()} ?`;
		}
	}
	/** A model answer in Markdown (40–400 words): paragraphs, sometimes a list or bold text. */
	answer(): string {
		const parts: string[] = [];
		const paragraphs = this.int(1, 4);
		for (let p = 0; p < paragraphs; p++) {
			parts.push(this.paragraph(this.int(2, 5)));
			if (this.r() < 0.3) {
				const items = this.int(2, 5);
				parts.push(Array.from({ length: items }, () => `- **${cap(this.noun())}** : ${this.sentence()}`).join('\n'));
			}
		}
		return parts.join('\n\n');
	}
	title(): string {
		return cap(`${this.noun()} ${this.adj()} ${this.r() < 0.5 ? 'à ' + this.pick(PLACES) : 'et ' + this.noun()}`);
	}
}

function cap(s: string): string {
	return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Rough past participle of a French first/third-group infinitive. */
function participle(verb: string): string {
	if (verb.endsWith('er')) return verb.slice(0, -2) + 'é';
	if (verb.endsWith('ir')) return verb.slice(0, -2) + 'i';
	if (verb === 'recevoir') return 'reçu';
	return verb;
}

const CODE_BLOCKS = [
	'```python\nimport csv\nfrom datetime import date, timedelta\n\ndef echeance(depot: date, jours: int = 60) -> date:\n    """Date limite de réponse à une demande."""\n    fin = depot + timedelta(days=jours)\n    while fin.weekday() >= 5:\n        fin += timedelta(days=1)\n    return fin\n\nwith open("demandes.csv", newline="") as f:\n    for ligne in csv.DictReader(f):\n        print(ligne["numero"], echeance(date.fromisoformat(ligne["depot"])))\n```',
	'```typescript\ninterface Demande {\n  numero: string;\n  depot: Date;\n  statut: "recue" | "instruite" | "close";\n}\n\nexport function enRetard(demandes: Demande[], aujourdhui = new Date()): Demande[] {\n  const limite = 60 * 24 * 3600 * 1000;\n  return demandes.filter((d) => d.statut !== "close" && aujourdhui.getTime() - d.depot.getTime() > limite);\n}\n```',
	'```sql\nselect d.numero, d.depot, s.libelle\nfrom demandes d\njoin services s on s.id = d.service_id\nwhere d.statut <> \'close\'\n  and d.depot < now() - interval \'60 days\'\norder by d.depot;\n```',
	'```bash\n# Archiver les dossiers clos du mois dernier\nmois=$(date -d "last month" +%Y-%m)\nfind /srv/dossiers -name "*.pdf" -newermt "$mois-01" | while read -r f; do\n  gzip -9 "$f" && mv "$f.gz" /srv/archives/\ndone\n```'
];

const MATH_BLOCKS = [
	'$$\nT_{TTC} = T_{HT} \\times (1 + t), \\quad t \\in \\{0{,}055;\\ 0{,}10;\\ 0{,}20\\}\n$$',
	'$$\n\\bar{d} = \\frac{1}{n} \\sum_{i=1}^{n} (f_i - o_i), \\qquad \\sigma = \\sqrt{\\frac{1}{n-1} \\sum_{i=1}^{n} (d_i - \\bar{d})^2}\n$$',
	'$$\nM = C \\cdot \\frac{r (1 + r)^{n}}{(1 + r)^{n} - 1}\n$$',
	'$$\n\\int_{0}^{T} \\lambda e^{-\\lambda t} \\, dt = 1 - e^{-\\lambda T}\n$$'
];

const INLINE_MATH = ['$x = \\frac{a}{b}$', '$t = 20\\,\\%$', '$\\sum_{i} m_i$', '$n \\geq 3$', '$\\sqrt{2}$', '$e^{-\\lambda t}$'];

/**
 * A long Markdown answer with headings, paragraphs, lists, code blocks (highlighted) and math
 * (inline and display), cut to exactly `tokens` tokens of the fake server's tokenizer.
 */
export function longMarkdownAnswer(tokens: number, tokenize: (s: string) => string[], seed = 7): string[] {
	const g = new FrenchText(seed);
	const out: string[] = [];
	let n = 0;
	let section = 1;
	const push = (block: string) => {
		const t = tokenize((out.length ? '\n\n' : '') + block);
		out.push(...t);
		n += t.length;
	};
	while (n < tokens) {
		push(`## ${section}. ${cap(g.group())}`);
		push(`${g.paragraph(3)} On note ${g.pick(INLINE_MATH)} et ${g.pick(INLINE_MATH)} dans ${g.group()}.`);
		push(Array.from({ length: 4 }, () => `- ${g.sentence()}`).join('\n'));
		push(CODE_BLOCKS[section % CODE_BLOCKS.length]!);
		push(g.paragraph(2));
		push(MATH_BLOCKS[section % MATH_BLOCKS.length]!);
		push(`${g.paragraph(2)} Par exemple ${g.pick(INLINE_MATH)}.`);
		section++;
	}
	return out.slice(0, tokens);
}
