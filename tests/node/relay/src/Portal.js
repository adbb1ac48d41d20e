// The portal tree in Relay's form: paginated connections (@connection, edges { node }) and
// refetchable fragments, as a Relay portal writes it. relay-compiler checks it against the
// committed SDL; tests/node/relay/run.mjs sends the compiled query to the live server.
import { graphql } from 'relay-runtime';

export const plans = graphql`
  fragment PortalPlans_municipality on Municipality
  @refetchable(queryName: "PortalPlansPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 5 }, cursor: { type: "String" }) {
    actionPlans(first: $count, after: $cursor) @connection(key: "PortalPlans_actionPlans") {
      totalCount
      edges {
        node {
          id
          title
          status
          startDate
          endDate
          progress
          ...PortalCommitments_plan
        }
      }
    }
  }
`;

export const commitments = graphql`
  fragment PortalCommitments_plan on ActionPlan
  @refetchable(queryName: "PortalCommitmentsPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
    commitments(first: $count, after: $cursor)
      @connection(key: "PortalCommitments_commitments") {
      edges {
        node {
          id
          code
          title
          ogpValues
          leadAgency { name }
          progress
          completionLevel
          ...PortalMilestones_commitment
        }
      }
    }
  }
`;

export const milestones = graphql`
  fragment PortalMilestones_commitment on Commitment
  @refetchable(queryName: "PortalMilestonesPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
    milestones(first: $count, after: $cursor) @connection(key: "PortalMilestones_milestones") {
      edges {
        node {
          id
          title
          endDate
          status
          progress
          isDelayed
          reports(first: 1) {
            edges {
              node { id percent status narrative evidence { url title } reportedAt }
            }
          }
        }
      }
    }
  }
`;

export const query = graphql`
  query PortalRelayQuery {
    municipality {
      name
      country
      ...PortalPlans_municipality
    }
  }
`;
