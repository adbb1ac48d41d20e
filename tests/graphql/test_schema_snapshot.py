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


def test_every_mutation_takes_one_input_and_says_what_it_does() -> None:
    """One mutation shape for clients: ``name(input: NameInput!)`` (Relay's), described in
    the SDL (GraphiQL and generated clients show it)."""
    from graphql import build_schema

    mutation = build_schema(export_sdl()).mutation_type
    assert mutation is not None
    shapes = {name: sorted(field.args) for name, field in mutation.fields.items()}
    assert {name: args for name, args in shapes.items() if args != ["input"]} == {}
    assert [name for name, field in mutation.fields.items() if not field.description] == []
