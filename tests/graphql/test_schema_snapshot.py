"""The committed SDL is the schema: regenerate with `usina schema export` (or `make schema`)."""

from graphql_schema.schema import SDL_PATH, export_sdl


def test_committed_sdl_is_current() -> None:
    assert SDL_PATH.read_text() == export_sdl(), "schema.graphql is stale: run 'make schema'"


def test_public_contract_names_exist() -> None:
    sdl = export_sdl()
    for name in [
        "node(id: ID!): Node",
        "municipality: Municipality!",
        "viewer: Viewer",
        "actionPlans(first: Int = null, after: String = null, status: [ActionPlanStatus!] = null): ActionPlanConnection!",
        "municipalities(first: Int = null, after: String = null): MunicipalityConnection!",
        "createMunicipality(input: CreateMunicipalityInput!)",
        "createActionPlan(input: CreateActionPlanInput!)",
        "updateActionPlan(input: UpdateActionPlanInput!)",
        "transitionActionPlan(input: TransitionActionPlanInput!)",
        "createCommitment(input: CreateCommitmentInput!)",
        "updateCommitment(input: UpdateCommitmentInput!)",
        "createMilestone(input: CreateMilestoneInput!)",
        "updateMilestone(input: UpdateMilestoneInput!)",
        "reportProgress(input: ReportProgressInput!)",
        "isDelayed: Boolean!",
        "completionLevel: CompletionLevel!",
    ]:
        assert name in sdl, name
