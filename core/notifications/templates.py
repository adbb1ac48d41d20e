"""E-mail templates, in Spanish, English and Portuguese (the municipality's locale picks one)."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template


@dataclass(frozen=True)
class EmailTemplate:
    subject: Template
    body: Template


TEMPLATES: dict[str, dict[str, EmailTemplate]] = {
    "milestone.delayed": {
        "pt": EmailTemplate(
            Template("[$municipality] Marco atrasado: $milestone"),
            Template(
                "Olá,\n\nO marco «$milestone» do compromisso $commitment_code «$commitment» "
                "do plano «$plan» está atrasado: devia terminar em $end_date e o seu avanço "
                "é de $percent %.\n\nAtualizem o seu avanço ou o seu prazo no Usina.\n"
            ),
        ),
        "es": EmailTemplate(
            Template("[$municipality] Hito demorado: $milestone"),
            Template(
                "Hola:\n\nEl hito «$milestone» del compromiso $commitment_code «$commitment» "
                "del plan «$plan» está demorado: debía terminar el $end_date y su avance "
                "es $percent %.\n\nActualicen su avance o su plazo en Usina.\n"
            ),
        ),
        "en": EmailTemplate(
            Template("[$municipality] Milestone delayed: $milestone"),
            Template(
                'Hello,\n\nThe milestone "$milestone" of commitment $commitment_code '
                '"$commitment" in the plan "$plan" is delayed: it was due on $end_date '
                "and its progress is $percent %.\n\nPlease update its progress or its dates "
                "in Usina.\n"
            ),
        ),
    },
    "plan.digest": {
        "pt": EmailTemplate(
            Template("[$municipality] Resumo semanal do plano «$plan»"),
            Template(
                "Olá,\n\nResumo da semana $week do plano «$plan»:\n\n"
                "- Avanço do plano: $progress %\n- Compromissos: $commitments\n"
                "- Marcos concluídos: $completed de $milestones\n- Marcos atrasados: $delayed\n"
                "\n$lines\n"
            ),
        ),
        "es": EmailTemplate(
            Template("[$municipality] Resumen semanal del plan «$plan»"),
            Template(
                "Hola:\n\nResumen de la semana $week del plan «$plan»:\n\n"
                "- Avance del plan: $progress %\n- Compromisos: $commitments\n"
                "- Hitos completados: $completed de $milestones\n- Hitos demorados: $delayed\n"
                "\n$lines\n"
            ),
        ),
        "en": EmailTemplate(
            Template('[$municipality] Weekly digest of the plan "$plan"'),
            Template(
                'Hello,\n\nDigest of week $week of the plan "$plan":\n\n'
                "- Plan progress: $progress %\n- Commitments: $commitments\n"
                "- Milestones completed: $completed of $milestones\n- Milestones delayed: "
                "$delayed\n\n$lines\n"
            ),
        ),
    },
    "proposal.answered": {
        "pt": EmailTemplate(
            Template("[$municipality] A sua proposta recebeu resposta: $proposal"),
            Template(
                "Olá,\n\nA proposta «$proposal», que você $relation em «$channel» do "
                "plano «$plan», recebeu uma resposta fundamentada.\n\n$outcome\n\n"
                "A resposta:\n$response\n\n--\nVocê recebe este aviso pela sua participação. "
                "Para não receber mais avisos: $unsubscribe_url\n"
            ),
        ),
        "es": EmailTemplate(
            Template("[$municipality] Su propuesta recibió respuesta: $proposal"),
            Template(
                "Hola:\n\nLa propuesta «$proposal», que usted $relation en «$channel» del "
                "plan «$plan», recibió una respuesta razonada.\n\n$outcome\n\n"
                "La respuesta:\n$response\n\n--\nRecibe este aviso por su participación. "
                "Para no recibir más avisos: $unsubscribe_url\n"
            ),
        ),
        "en": EmailTemplate(
            Template("[$municipality] Your proposal was answered: $proposal"),
            Template(
                'Hello,\n\nThe proposal "$proposal", which you $relation in "$channel" of '
                'the plan "$plan", received a reasoned response.\n\n$outcome\n\n'
                "The response:\n$response\n\n--\nYou receive this notice because you took "
                "part. To receive no more notices: $unsubscribe_url\n"
            ),
        ),
    },
    "participant.confirm_email": {
        "pt": EmailTemplate(
            Template("[$municipality] Confirme o seu e-mail"),
            Template(
                "Olá,\n\nAlguém pediu para receber neste endereço os avisos da sua "
                "participação em $municipality. Para confirmar, abra este link:\n"
                "$confirm_url\n\nSe não foi você, ignore esta mensagem: não receberá mais nada.\n"
            ),
        ),
        "es": EmailTemplate(
            Template("[$municipality] Confirme su correo electrónico"),
            Template(
                "Hola:\n\nAlguien pidió recibir en esta dirección los avisos de su "
                "participación en $municipality. Para confirmarlo, abra este enlace:\n"
                "$confirm_url\n\nSi no fue usted, ignore este mensaje: no recibirá nada más.\n"
            ),
        ),
        "en": EmailTemplate(
            Template("[$municipality] Confirm your e-mail address"),
            Template(
                "Hello,\n\nSomeone asked for the notices of their participation in "
                "$municipality to be sent to this address. To confirm, open this link:\n"
                "$confirm_url\n\nIf it was not you, ignore this message: nothing else will "
                "be sent.\n"
            ),
        ),
    },
}


def render(name: str, locale: str, values: dict[str, object]) -> tuple[str, str]:
    template = TEMPLATES[name].get(locale) or TEMPLATES[name]["en"]
    fields = {k: str(v) for k, v in values.items()}
    return template.subject.substitute(fields), template.body.substitute(fields)
